using System.Diagnostics;
using System.Net;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>
/// What a web page or another local user can do to a silo on a laptop (no tenants: the local key), over real HTTP
/// to a real silo process: a page whose name was rebound to 127.0.0.1 (its own Host), a page of another origin, a
/// caller without the key or with a wrong one. Each is refused and nothing is tracked or returned.
/// </summary>
[Collection(HttpSiloCollectionDefinition.Name)]
public sealed class FrontDoorAttackTests(HttpSiloFixture fixture)
{
    private const string Secret = "probe-secret-line";

    private ApiClient Api => fixture.Api;

    private static HttpRequestMessage Request(HttpMethod method, string path, string? host = null, string? origin = null, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (host is not null) request.Headers.Host = host;
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        return request;
    }

    [Fact]
    public async Task A_rebound_host_is_refused_and_nothing_is_tracked_or_returned()
    {
        var ws = fixture.NewWorkspace(("notes.txt", "first\n"));
        var attacker = $"attacker.example:{fixture.Silo.HttpPort}";
        var body = System.Text.Json.JsonSerializer.Serialize(new { dir = ws });

        // Even with the key (a page cannot know it, but the Host check does not depend on it): refused.
        var track = await Api.SendAsync(Request(HttpMethod.Post, "/v1/sessions/rebind/snapshots", host: attacker, json: body));
        Assert.Contains("attacker.example", track.Problem(HttpStatusCode.BadRequest, "hostNotAllowed"), StringComparison.Ordinal);
        Assert.Empty((await Api.GetAsync("/v1/sessions/rebind/snapshots")).Ok().GetProperty("snapshots").EnumerateArray());

        // A session tracked by its user: the rebinding page asks for its diff against the workspace now.
        var hash = (await Api.PostAsync("/v1/sessions/rebind-own/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString();
        File.AppendAllText(Path.Combine(ws, "notes.txt"), Secret + "\n");
        var diff = await Api.SendAsync(Request(HttpMethod.Get, $"/v1/sessions/rebind-own/diff?from={hash}", host: attacker));
        diff.Problem(HttpStatusCode.BadRequest, "hostNotAllowed");
        Assert.DoesNotContain(Secret, diff.Body, StringComparison.Ordinal);
        foreach (var path in new[] { "/v1/sessions/rebind-own/snapshots", "/health/live", "/openapi/v1.json" })
        {
            (await Api.SendAsync(Request(HttpMethod.Get, path, host: attacker))).Problem(HttpStatusCode.BadRequest, "hostNotAllowed");
        }
        // A name without a port, a look-alike of a loopback name, and no usable Host at all: refused the same.
        foreach (var host in new[] { "attacker.example", "localhost.attacker.example:80", "127.0.0.1.nip.io" })
        {
            (await Api.SendAsync(Request(HttpMethod.Get, "/v1/sessions/rebind-own/snapshots", host: host))).Problem(HttpStatusCode.BadRequest, "hostNotAllowed");
        }

        // The loopback names, with any port, are this service's.
        foreach (var host in new[] { "localhost", $"localhost:{fixture.Silo.HttpPort}", $"127.0.0.1:{fixture.Silo.HttpPort}", "[::1]:5180" })
        {
            Assert.Single((await Api.SendAsync(Request(HttpMethod.Get, "/v1/sessions/rebind-own/snapshots", host: host))).Ok().GetProperty("snapshots").EnumerateArray());
        }
    }

    [Fact]
    public async Task A_page_of_another_origin_is_refused_and_gets_no_cors_answer()
    {
        var ws = fixture.NewWorkspace(("a.txt", "a\n"));
        var body = System.Text.Json.JsonSerializer.Serialize(new { dir = ws });
        foreach (var origin in new[] { "http://attacker.example", "null", $"http://localhost.attacker.example:{fixture.Silo.HttpPort}", "https://127.0.0.1:" + fixture.Silo.HttpPort })
        {
            var reply = await Api.SendAsync(Request(HttpMethod.Post, "/v1/sessions/origin/snapshots", origin: origin, json: body));
            reply.Problem(HttpStatusCode.Forbidden, "originNotAllowed");
            Assert.False(reply.Headers.Contains("Access-Control-Allow-Origin"), reply.ToString());
        }
        (await Api.SendAsync(Request(HttpMethod.Get, "/health/live", origin: "http://attacker.example"))).Problem(HttpStatusCode.Forbidden, "originNotAllowed");
        // A preflight of another origin: no CORS answer that would let its page send the request.
        var preflight = Request(HttpMethod.Options, "/v1/sessions/origin/snapshots", origin: "http://attacker.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var refused = await Api.SendAsync(preflight);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"), refused.ToString());
        Assert.Empty((await Api.GetAsync("/v1/sessions/origin/snapshots")).Ok().GetProperty("snapshots").EnumerateArray());

        // The silo's own origin is its own pages'.
        (await Api.SendAsync(Request(HttpMethod.Post, "/v1/sessions/origin/snapshots", origin: $"http://127.0.0.1:{fixture.Silo.HttpPort}", json: body))).Ok();
    }

    [Theory]
    [InlineData(null, "missingKey")]
    [InlineData("Bearer ", "missingKey")]
    [InlineData("Basic bG9jYWw6a2V5", "unsupportedScheme")]
    [InlineData("Bearer not-the-local-key-of-this-silo", "invalidKey")]
    public async Task Without_the_local_key_every_v1_request_answers_401_and_changes_nothing(string? authorization, string code)
    {
        var ws = fixture.NewWorkspace(("a.txt", "a\n"));
        using var stranger = new ApiClient(fixture.Silo.HttpAddress);
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/v1/sessions/keyless/snapshots"), (HttpMethod.Get, "/v1/sessions/keyless/snapshots"), (HttpMethod.Delete, "/v1/sessions/keyless") })
        {
            var request = Request(method, path, json: method == HttpMethod.Post ? System.Text.Json.JsonSerializer.Serialize(new { dir = ws }) : null);
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            var reply = await stranger.SendAsync(request);
            Assert.DoesNotContain(fixture.Silo.LocalKey, reply.Body, StringComparison.Ordinal);
            reply.Problem(HttpStatusCode.Unauthorized, code);
            Assert.Equal("Bearer", Assert.Single(reply.Headers.WwwAuthenticate).Scheme);
        }
        Assert.Empty((await Api.GetAsync("/v1/sessions/keyless/snapshots")).Ok().GetProperty("snapshots").EnumerateArray());
        // Health and the API's description take no key.
        Assert.Equal(HttpStatusCode.OK, (await stranger.GetAsync("/health/live")).Status);
        Assert.Equal(HttpStatusCode.OK, (await stranger.GetAsync("/openapi/v1.json")).Status);
        Assert.DoesNotContain(fixture.Silo.LocalKey, fixture.Silo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_local_user_without_the_key_is_refused()
    {
        var ws = fixture.NewWorkspace(("a.txt", "a\n"));
        // As 'nobody' where the tests run as root (as another user would), else as this user: curl has no key either way.
        var asRoot = Environment.UserName == "root";
        var psi = new ProcessStartInfo(asRoot ? "runuser" : "curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in asRoot ? ["-u", "nobody", "--", "curl"] : Array.Empty<string>())
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var arg in new[] { "-s", "-o", "/dev/null", "-w", "%{http_code}", "--json", $"{{\"dir\": \"{ws}\"}}", $"{fixture.Silo.HttpAddress}v1/sessions/nobody/snapshots" })
        {
            psi.ArgumentList.Add(arg);
        }
        using var curl = Process.Start(psi)!;
        var status = await curl.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await curl.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal("401", status);
        Assert.Empty((await Api.GetAsync("/v1/sessions/nobody/snapshots")).Ok().GetProperty("snapshots").EnumerateArray());
    }

    [Fact]
    public async Task Configured_hosts_and_origins_are_let_in_and_only_those_origins_get_cors()
    {
        using var temp = new TempDirectory("as-front-allowed");
        var ws = Directory.CreateDirectory(temp.Combine("ws")).FullName;
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, new Dictionary<string, string>
        {
            ["Http__AllowedHosts__0"] = "snapshots.internal",
            ["Http__AllowedHosts__1"] = "*.agents.test",
            ["Http__AllowedOrigins__0"] = "http://ui.agents.test:3000",
        });
        using var api = new ApiClient(silo.HttpAddress, silo.LocalKey);
        foreach (var host in new[] { "snapshots.internal:8080", "one.agents.test", "127.0.0.1" })
        {
            (await api.SendAsync(Request(HttpMethod.Get, "/v1/sessions/allowed/snapshots", host: host))).Ok();
        }
        (await api.SendAsync(Request(HttpMethod.Get, "/v1/sessions/allowed/snapshots", host: "agents.test.attacker.example"))).Problem(HttpStatusCode.BadRequest, "hostNotAllowed");

        var preflight = Request(HttpMethod.Options, "/v1/sessions/allowed/snapshots", origin: "http://ui.agents.test:3000");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        var answered = await api.SendAsync(preflight);
        Assert.Equal("http://ui.agents.test:3000", Assert.Single(answered.Headers.GetValues("Access-Control-Allow-Origin")));
        var tracked = await api.SendAsync(Request(HttpMethod.Post, "/v1/sessions/allowed/snapshots", origin: "http://ui.agents.test:3000", json: $"{{\"dir\": \"{ws}\"}}"));
        tracked.Ok();
        Assert.Equal("http://ui.agents.test:3000", Assert.Single(tracked.Headers.GetValues("Access-Control-Allow-Origin")));
        (await api.SendAsync(Request(HttpMethod.Get, "/v1/sessions/allowed/snapshots", origin: "http://ui.agents.test:4000"))).Problem(HttpStatusCode.Forbidden, "originNotAllowed");
    }
}
