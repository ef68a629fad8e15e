using System.Net;
using System.Text;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>
/// Bad requests through real HTTP: each answers a 4xx problem with its code and a detail naming what was wrong,
/// and changes nothing (the workspace's files and the session's history are as before).
/// </summary>
[Collection(HttpSiloCollectionDefinition.Name)]
public sealed class HttpBadInputTests(HttpSiloFixture fixture)
{
    private ApiClient Api => fixture.Api;

    private async Task<(string Session, string Workspace, string Hash)> TrackedAsync(string session)
    {
        var ws = fixture.NewWorkspace(("a.txt", "one\n"), ("src/b.txt", "bee\n"));
        var hash = (await Api.PostAsync($"/v1/sessions/{session}/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString()!;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "changed\n");
        return ($"/v1/sessions/{session}", ws, hash);
    }

    [Fact]
    public async Task Malformed_bodies_are_refused_naming_the_field_and_change_nothing()
    {
        var (s, ws, h) = await TrackedAsync("http-bad-bodies");
        var files = TreeFingerprint.Of(ws);
        var history = (await Api.GetAsync($"{s}/snapshots")).Body;

        Assert.Contains("line 1", (await Api.PostAsync($"{s}/restore", "{\"to\": ")).Problem(HttpStatusCode.BadRequest, "malformedBody"), StringComparison.Ordinal);
        Assert.Contains("an array", (await Api.PostAsync($"{s}/restore", "[1]")).Problem(HttpStatusCode.BadRequest, "malformedBody"), StringComparison.Ordinal);
        Assert.Contains("needs a JSON body", (await Api.PostAsync($"{s}/restore", "")).Problem(HttpStatusCode.BadRequest, "malformedBody"), StringComparison.Ordinal);
        // A duplicated field is not silently resolved one way or the other.
        (await Api.PostAsync($"{s}/restore", $"{{\"to\": \"{h}\", \"to\": \"{h}\"}}")).Problem(HttpStatusCode.BadRequest, "malformedBody");
        Assert.Contains("'to' is missing", (await Api.PostAsync($"{s}/restore", "{}")).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("'to' must be a string", (await Api.PostAsync($"{s}/restore", "{\"to\": 1}")).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("'To'", (await Api.PostAsync($"{s}/restore", $"{{\"To\": \"{h}\"}}")).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("'force'", (await Api.PostAsync($"{s}/restore", new { to = h, force = true })).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("'to'", (await Api.PostAsync($"{s}/restore", new { to = "HEAD~1" })).Problem(HttpStatusCode.BadRequest, "malformedId"), StringComparison.Ordinal);

        Assert.Contains("'files' is missing", (await Api.PostAsync($"{s}/revert", new { to = h })).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("non-empty array", (await Api.PostAsync($"{s}/revert", new { to = h, files = Array.Empty<string>() })).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("non-empty array", (await Api.PostAsync($"{s}/revert", new { to = h, files = "a.txt" })).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("'files[1]'", (await Api.PostAsync($"{s}/revert", new { to = h, files = new object[] { "a.txt", 3 } })).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("'files[1]'", (await Api.PostAsync($"{s}/revert", new { to = h, files = new List<string> { "a.txt", "../a.txt" } })).Problem(HttpStatusCode.BadRequest, "invalidPath"), StringComparison.Ordinal);
        Assert.Contains("absolute", (await Api.PostAsync($"{s}/revert", new { to = h, files = new List<string> { fixture.Outside } })).Problem(HttpStatusCode.BadRequest, "invalidPath"), StringComparison.Ordinal);
        Assert.Contains(".git", (await Api.PostAsync($"{s}/revert", new { to = h, files = new List<string> { ".git/config" } })).Problem(HttpStatusCode.BadRequest, "invalidPath"), StringComparison.Ordinal);

        Assert.Contains("'directory'", (await Api.PostAsync($"{s}/snapshots", new { directory = ws })).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        Assert.Contains("'label' must be a string", (await Api.PostAsync($"{s}/snapshots", new { label = 3 })).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);

        using var form = new HttpRequestMessage(HttpMethod.Post, $"{s}/restore") { Content = new StringContent($"to={h}", Encoding.UTF8, "application/x-www-form-urlencoded") };
        Assert.Contains("application/json", (await Api.SendAsync(form)).Problem(HttpStatusCode.UnsupportedMediaType, "unsupportedMediaType"), StringComparison.Ordinal);

        Assert.Equal(files, TreeFingerprint.Of(ws));
        Assert.Equal(history, (await Api.GetAsync($"{s}/snapshots")).Body);
    }

    [Fact]
    public async Task Bodies_over_one_mebibyte_answer_413_whether_their_length_is_declared_or_not()
    {
        var (s, ws, h) = await TrackedAsync("http-bad-large");
        var files = TreeFingerprint.Of(ws);
        var large = $"{{\"to\": \"{h}\", \"pad\": \"{new string('x', 1 << 20)}\"}}";

        // Each on a connection of its own: the server closes a connection whose body it refused unread.
        using var declared = new HttpRequestMessage(HttpMethod.Post, $"{s}/restore") { Content = new StringContent(large, Encoding.UTF8, "application/json") };
        declared.Headers.ExpectContinue = true;
        using (var client = new ApiClient(fixture.Silo.HttpAddress, fixture.Silo.LocalKey))
        {
            var refused = await client.SendAsync(declared);
            refused.Problem(HttpStatusCode.RequestEntityTooLarge, "bodyTooLarge");
            Assert.True(refused.Headers.ConnectionClose, refused.ToString());
        }

        using var chunked = new HttpRequestMessage(HttpMethod.Post, $"{s}/restore")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(large))),
        };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var separate = new ApiClient(fixture.Silo.HttpAddress, fixture.Silo.LocalKey);
        (await separate.SendAsync(chunked)).Problem(HttpStatusCode.RequestEntityTooLarge, "bodyTooLarge");

        Assert.Equal(files, TreeFingerprint.Of(ws));
    }

    [Fact]
    public async Task Query_and_path_errors_name_the_parameter()
    {
        var (s, _, h) = await TrackedAsync("http-bad-query");

        Assert.Contains("'since' is missing", (await Api.GetAsync($"{s}/changes")).Problem(HttpStatusCode.BadRequest, "invalidParameter"), StringComparison.Ordinal);
        Assert.Contains("2 times", (await Api.GetAsync($"{s}/changes?since={h}&since={h}")).Problem(HttpStatusCode.BadRequest, "invalidParameter"), StringComparison.Ordinal);
        Assert.Contains("'too'", (await Api.GetAsync($"{s}/diff?from={h}&too={h}")).Problem(HttpStatusCode.BadRequest, "unknownParameter"), StringComparison.Ordinal);
        Assert.Contains("takes none", (await Api.GetAsync($"{s}/snapshots?verbose=1")).Problem(HttpStatusCode.BadRequest, "unknownParameter"), StringComparison.Ordinal);
        Assert.Contains("'from'", (await Api.GetAsync($"{s}/diff?from=HEAD")).Problem(HttpStatusCode.BadRequest, "malformedId"), StringComparison.Ordinal);
        Assert.Contains("'to'", (await Api.GetAsync($"{s}/diff?from={h}&to=12345")).Problem(HttpStatusCode.BadRequest, "malformedId"), StringComparison.Ordinal);
        Assert.Contains("Session name", (await Api.GetAsync("/v1/sessions/bad%20name/snapshots")).Problem(HttpStatusCode.BadRequest, "malformedId"), StringComparison.Ordinal);
        (await Api.GetAsync($"/v1/sessions/{new string('s', 129)}/snapshots")).Problem(HttpStatusCode.BadRequest, "malformedId");
        // A tenant-scoped grain key is the service's own form, never a name a client can give.
        (await Api.GetAsync("/v1/sessions/other@http-bad-query/snapshots")).Problem(HttpStatusCode.BadRequest, "malformedId");

        (await Api.GetAsync("/v1/session/demo/snapshots")).Problem(HttpStatusCode.NotFound, "noSuchRoute");
        using var put = new HttpRequestMessage(HttpMethod.Put, $"{s}/snapshots");
        (await Api.SendAsync(put)).Problem(HttpStatusCode.MethodNotAllowed, "methodNotAllowed");
    }

    [Fact]
    public async Task Refusals_state_the_fact_and_the_api_words_its_own_advice()
    {
        var (s, ws, _) = await TrackedAsync("http-advice");
        var unknown = new string('0', 40);

        var never = await Api.GetAsync($"/v1/sessions/http-advice-never/diff?from={unknown}");
        Assert.Equal("Session 'http-advice-never' has no snapshots yet, and diff needs one. Take its first snapshot with POST /v1/sessions/http-advice-never/snapshots and the body {\"dir\": \"<the workspace directory>\"}.",
            never.Problem(HttpStatusCode.NotFound, "unknownSession"));
        Assert.Equal("Session 'http-advice-never' has no snapshots yet, and diff needs one.", never.Json.GetProperty("fact").GetString());

        var notOurs = await Api.GetAsync($"{s}/changes?since={unknown}");
        Assert.Equal($"'since' {unknown} is not a snapshot of session 'http-advice'. GET /v1/sessions/http-advice/snapshots lists the snapshots it keeps.",
            notOurs.Problem(HttpStatusCode.NotFound, "unknownSnapshot"));
        Assert.Equal($"'since' {unknown} is not a snapshot of session 'http-advice'.", notOurs.Json.GetProperty("fact").GetString());

        var elsewhere = (await Api.PostAsync($"{s}/snapshots", new { dir = fixture.NewWorkspace(("x.txt", "x\n")) })).Problem(HttpStatusCode.Conflict, "workspaceMismatch");
        Assert.Contains($"is bound to {ws}", elsewhere, StringComparison.Ordinal);
        Assert.EndsWith("Send POST /v1/sessions/http-advice/snapshots without 'dir' to snapshot its own directory, or use another session for that directory.", elsewhere, StringComparison.Ordinal);

        // A refusal the API adds no advice to has no separate fact; no refusal names a CLI option.
        var malformed = await Api.GetAsync($"{s}/changes?since=HEAD~1");
        Assert.Equal("'since' value 'HEAD~1' is not a snapshot hash: give 40 hexadecimal digits, as track or history return them.", malformed.Problem(HttpStatusCode.BadRequest, "malformedId"));
        Assert.False(malformed.Json.TryGetProperty("fact", out _));
        Assert.DoesNotContain("--", never.Body + notOurs.Body + elsewhere + malformed.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_errors_answer_the_sdk_codes_with_their_statuses()
    {
        var (s, ws, h) = await TrackedAsync("http-bad-session");
        var other = fixture.NewWorkspace(("x.txt", "x\n"));

        (await Api.GetAsync($"/v1/sessions/http-never-tracked/diff?from={h}")).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await Api.PostAsync("/v1/sessions/http-never-tracked/snapshots")).Problem(HttpStatusCode.NotFound, "unknownSession");
        (await Api.GetAsync("/v1/sessions/http-never-tracked/usage")).Problem(HttpStatusCode.NotFound, "unknownSession");
        Assert.Contains(new string('0', 40), (await Api.GetAsync($"{s}/changes?since={new string('0', 40)}")).Problem(HttpStatusCode.NotFound, "unknownSnapshot"), StringComparison.Ordinal);
        Assert.Contains(ws, (await Api.PostAsync($"{s}/snapshots", new { dir = other })).Problem(HttpStatusCode.Conflict, "workspaceMismatch"), StringComparison.Ordinal);
        (await Api.PostAsync("/v1/sessions/http-outside/snapshots", new { dir = fixture.Outside })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
        (await Api.PostAsync("/v1/sessions/http-missing/snapshots", new { dir = Path.Combine(fixture.Root, "no-such-dir") })).Problem(HttpStatusCode.BadRequest, "missingDirectory");
        (await Api.PostAsync("/v1/sessions/http-relative/snapshots", new { dir = "relative/dir" })).Problem(HttpStatusCode.BadRequest, "invalidPath");

        // None of them bound or recorded anything.
        foreach (var name in new[] { "http-never-tracked", "http-outside", "http-missing", "http-relative" })
        {
            Assert.Equal(0, (await Api.GetAsync($"/v1/sessions/{name}/snapshots")).Ok().GetProperty("snapshots").GetArrayLength());
        }
        Assert.Equal(1, (await Api.GetAsync($"{s}/snapshots")).Ok().GetProperty("snapshots").GetArrayLength());
    }
}
