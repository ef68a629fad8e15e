using System.Net;
using System.Net.Http.Headers;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>
/// Tenants through real HTTP: every /v1 request needs a tenant's key; a tenant reaches only its own sessions (another
/// tenant's answer 404, as a session never tracked) and snapshots only under its roots.
/// </summary>
public sealed class HttpTenantTests(TenantSiloFixture fixture) : IClassFixture<TenantSiloFixture>, IDisposable
{
    private readonly ApiClient _a = new(fixture.Silo.HttpAddress, fixture.KeyA);
    private readonly ApiClient _b = new(fixture.Silo.HttpAddress, fixture.KeyB);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static HttpRequestMessage Get(string path, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return request;
    }

    [Theory]
    [InlineData(null, "missingKey")]
    [InlineData("", "missingKey")]
    [InlineData("Basic dGVhbS1hOmtleQ==", "unsupportedScheme")]
    [InlineData("Token abc", "unsupportedScheme")]
    [InlineData("Bearer not-a-key-of-anyone", "invalidKey")]
    [InlineData("Bearer ", "missingKey")]
    public async Task Without_a_tenants_key_every_v1_request_answers_401(string? authorization, string code)
    {
        var noKey = fixture.Api;
        foreach (var path in new[] { "/v1/sessions/s/snapshots", "/v1/sessions/s/usage", "/v1/sessions/s/diff?from=" + new string('0', 40) })
        {
            var reply = await noKey.SendAsync(Get(path, authorization));
            reply.Problem(HttpStatusCode.Unauthorized, code);
            var challenge = Assert.Single(reply.Headers.WwwAuthenticate);
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.Equal(code != "missingKey", challenge.Parameter?.Contains("invalid_token", StringComparison.Ordinal) == true);
        }
        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/sessions/s/snapshots") { Content = new StringContent("{}", new MediaTypeHeaderValue("application/json")) };
        if (authorization is not null)
        {
            post.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        (await noKey.SendAsync(post)).Problem(HttpStatusCode.Unauthorized, code);

        // Health and the API's description need no key.
        Assert.Equal(HttpStatusCode.OK, (await noKey.GetAsync("/health/ready")).Status);
        Assert.Equal(HttpStatusCode.OK, (await noKey.GetAsync("/openapi/v1.json")).Status);
    }

    [Fact]
    public async Task The_scheme_name_is_case_insensitive_and_the_key_is_not()
    {
        Assert.Equal(HttpStatusCode.OK, (await fixture.Api.SendAsync(Get("/v1/sessions/s/snapshots", "bearer " + fixture.KeyA))).Status);
        (await fixture.Api.SendAsync(Get("/v1/sessions/s/snapshots", "Bearer " + fixture.KeyA.ToUpperInvariant()))).Problem(HttpStatusCode.Unauthorized, "invalidKey");
    }

    [Fact]
    public async Task A_tenant_cannot_read_diff_restore_revert_collect_or_delete_another_tenants_session()
    {
        var ws = fixture.NewWorkspaceUnder(fixture.RootA, ("a.txt", "one\n"), ("b.txt", "bee\n"));
        const string S = "/v1/sessions/shared";
        var h1 = (await _a.PostAsync($"{S}/snapshots", new { dir = ws, label = "a1" })).Ok().GetProperty("hash").GetString()!;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "two\n");
        var h2 = (await _a.PostAsync($"{S}/snapshots")).Ok().GetProperty("hash").GetString()!;
        var store = fixture.StoreOf((await _a.GetAsync($"{S}/usage")).Ok().GetProperty("workspace").GetString()!);
        var files = TreeFingerprint.Of(ws);
        var storeFiles = TreeFingerprint.Of(store);
        // The last step's stats are computed after the track answers: wait for them, so the history compared at the
        // end differs only if B changed it.
        var history = (await _a.GetAsync($"{S}/snapshots")).Body;
        for (var wait = 0; wait < 600 && history.EndsWith("\"step\":null}]}", StringComparison.Ordinal); wait++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            history = (await _a.GetAsync($"{S}/snapshots")).Body;
        }
        var usage = (await _a.GetAsync($"{S}/usage")).Body;

        // B asks for A's session by name and hashes: it is B's own session of that name, which has none.
        var bHistory = (await _b.GetAsync($"{S}/snapshots")).Ok();
        Assert.Equal(("shared", 0), (bHistory.GetProperty("session").GetString(), bHistory.GetProperty("snapshots").GetArrayLength()));
        (await _b.GetAsync($"{S}/changes?since={h1}")).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await _b.GetAsync($"{S}/diff?from={h1}&to={h2}")).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await _b.GetAsync($"{S}/diff?from={h1}")).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await _b.PostAsync($"{S}/restore", new { to = h1 })).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await _b.PostAsync($"{S}/revert", new { to = h1, files = new List<string> { "a.txt" } })).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await _b.GetAsync($"{S}/usage")).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await _b.PostAsync($"{S}/gc")).Problem(HttpStatusCode.NotFound, "unknownSession");
        var deleted = (await _b.DeleteAsync(S)).Ok();
        Assert.Equal(0, deleted.GetProperty("snapshots").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, deleted.GetProperty("workspace").ValueKind);
        // Nor can B bind a session of its own to A's directory.
        (await _b.PostAsync($"{S}/snapshots", new { dir = ws })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
        // The same name in B is B's own session.
        var wsB = fixture.NewWorkspaceUnder(fixture.RootB, ("x.txt", "x\n"));
        var hB = (await _b.PostAsync($"{S}/snapshots", new { dir = wsB })).Ok().GetProperty("hash").GetString()!;
        (await _b.GetAsync($"{S}/diff?from={h1}")).Problem(HttpStatusCode.NotFound, "unknownSnapshot");

        Assert.Equal(files, TreeFingerprint.Of(ws));
        Assert.Equal(storeFiles, TreeFingerprint.Of(store));
        Assert.Equal(history, (await _a.GetAsync($"{S}/snapshots")).Body);
        Assert.Equal(usage, (await _a.GetAsync($"{S}/usage")).Body);
        Assert.DoesNotContain(hB, history, StringComparison.Ordinal);
        // A still restores its own session.
        (await _a.PostAsync($"{S}/restore", new { to = h1 })).Ok();
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
    }

    [Fact]
    public async Task A_tenant_snapshots_only_under_its_roots_whatever_the_path_says()
    {
        var inB = fixture.NewWorkspaceUnder(fixture.RootB, ("secret.txt", "b's\n"));
        var detail = (await _a.PostAsync("/v1/sessions/roots-b/snapshots", new { dir = inB })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
        Assert.Contains(TenantSiloFixture.A, detail, StringComparison.Ordinal);
        (await _a.PostAsync("/v1/sessions/roots-up/snapshots", new { dir = Path.Combine(fixture.RootA, "..", "b") })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
        (await _a.PostAsync("/v1/sessions/roots-top/snapshots", new { dir = fixture.Root })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");

        // A symlink inside A's root that leads into B's is judged by where it leads.
        var link = Path.Combine(fixture.RootA, "link-to-b");
        File.CreateSymbolicLink(link, inB);
        (await _a.PostAsync("/v1/sessions/roots-link/snapshots", new { dir = link })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");

        foreach (var session in new[] { "roots-b", "roots-up", "roots-top", "roots-link" })
        {
            Assert.Equal(0, (await _a.GetAsync($"/v1/sessions/{session}/snapshots")).Ok().GetProperty("snapshots").GetArrayLength());
        }
    }

    [Fact]
    public async Task Errors_name_the_session_as_the_tenant_does()
    {
        var detail = (await _a.GetAsync($"/v1/sessions/ghost/diff?from={new string('1', 40)}")).Problem(HttpStatusCode.NotFound, "unknownSession");
        Assert.Contains("'ghost'", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(TenantSiloFixture.A + "@", detail, StringComparison.Ordinal);
    }
}
