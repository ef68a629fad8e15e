using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>Every operation of the HTTP API through real HTTP to a real silo process, beside the real CLI.</summary>
[Collection(HttpSiloCollectionDefinition.Name)]
public sealed class HttpOperationsTests(HttpSiloFixture fixture)
{
    private ApiClient Api => fixture.Api;

    private static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>The CLI's --json output of the same operation, for the same session (no tenants: same names).</summary>
    private async Task<JsonNode> Cli(params string[] args)
    {
        var run = await fixture.Silo.RunCliAsync([.. args, "--json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonNode.Parse(run.Stdout)!;
    }

    private static void AssertSameJson(JsonNode expected, JsonElement actual) =>
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(actual.GetRawText())), $"CLI: {expected.ToJsonString()}\nHTTP: {actual.GetRawText()}");

    [Fact]
    public async Task Every_operation_answers_as_the_cli_json_does()
    {
        var ws = fixture.NewWorkspace(("a.txt", "one\ntwo\n"), ("b.txt", "bee\n"));
        const string S = "/v1/sessions/http-ops";

        var track1 = (await Api.PostAsync($"{S}/snapshots", new { dir = ws, label = "first" })).Ok();
        Assert.Equal(["hash", "files", "skipped", "skippedCount", "omittedSkipped"], Keys(track1));
        Assert.Equal(2, track1.GetProperty("files").GetInt32());
        var h1 = track1.GetProperty("hash").GetString()!;
        // The hash is the tree git itself computes for the same files.
        Assert.Equal(h1, GitTree(ws));

        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\nTWO\nthree\n");
        File.Delete(Path.Combine(ws, "b.txt"));
        File.WriteAllText(Path.Combine(ws, "c.txt"), "sea\n");
        // The bound session takes no directory, and no body at all.
        var track2 = (await Api.PostAsync($"{S}/snapshots")).Ok();
        var h2 = track2.GetProperty("hash").GetString()!;
        Assert.Equal(GitTree(ws), h2);

        // The step's stats are computed after the track answers: wait until they are known (or a minute), so the
        // CLI, reading the history later, sees the same.
        var history = (await Api.GetAsync($"{S}/snapshots")).Ok();
        for (var wait = 0; wait < 600 && history.GetProperty("snapshots")[1].GetProperty("step").ValueKind == JsonValueKind.Null; wait++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            history = (await Api.GetAsync($"{S}/snapshots")).Ok();
        }
        Assert.Equal(["session", "workspace", "snapshots"], Keys(history));
        Assert.Equal(["hash", "label", "time", "files", "skipped", "step"], Keys(history.GetProperty("snapshots")[0]));
        Assert.Equal([h1, h2], history.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("hash").GetString()));
        Assert.Equal("first", history.GetProperty("snapshots")[0].GetProperty("label").GetString());
        AssertSameJson(await Cli("history", "--session", "http-ops"), history);

        var changes = (await Api.GetAsync($"{S}/changes?since={h1}")).Ok();
        Assert.Equal(["a.txt", "b.txt", "c.txt"], Strings(changes.GetProperty("files")));
        AssertSameJson(await Cli("changes", "--session", "http-ops", "--since", h1), changes);

        var diff = (await Api.GetAsync($"{S}/diff?from={h1}&to={h2}")).Ok();
        Assert.Equal(["from", "to", "fileCount", "omittedFiles", "additions", "deletions", "files"], Keys(diff));
        // Git reads the service's store: its numstat is the reference for the summary's counts.
        var store = fixture.StoreOf((await Api.GetAsync($"{S}/usage")).Ok().GetProperty("workspace").GetString()!);
        var numstat = Git.Run(fixture.Root, "--git-dir", store, "diff", "--minimal", "--numstat", h1, h2)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToDictionary(l => l[2], l => (long.Parse(l[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(l[1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(numstat, diff.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("file").GetString()!, f => (f.GetProperty("additions").GetInt64(), f.GetProperty("deletions").GetInt64())));
        AssertSameJson(await Cli("diff", "--session", "http-ops", "--from", h1, "--to", h2), diff);
        var toNow = (await Api.GetAsync($"{S}/diff?from={h1}")).Ok();
        Assert.Equal(h2, toNow.GetProperty("to").GetString());

        var usage = (await Api.GetAsync($"{S}/usage")).Ok();
        AssertSameJson(await Cli("usage", "--session", "http-ops"), usage);
        Assert.Equal(ws, usage.GetProperty("directory").GetString());

        var revert = (await Api.PostAsync($"{S}/revert", new { to = h1, files = new List<string> { "a.txt" } })).Ok();
        Assert.Equal(["to", "safety", "written", "deleted", "writtenCount", "deletedCount", "omittedWritten", "omittedDeleted"], Keys(revert));
        Assert.Equal(["a.txt"], Strings(revert.GetProperty("written")));
        Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
        Assert.True(File.Exists(Path.Combine(ws, "c.txt")));

        var restore = (await Api.PostAsync($"{S}/restore", new { to = h1 })).Ok();
        Assert.Equal(["b.txt"], Strings(restore.GetProperty("written")));
        Assert.Equal(["c.txt"], Strings(restore.GetProperty("deleted")));
        Assert.Equal(h1, GitTree(ws));

        // The safety snapshot of the restore undoes it.
        var safety = restore.GetProperty("safety").GetString()!;
        (await Api.PostAsync($"{S}/restore", new { to = safety })).Ok();
        Assert.Equal(safety, GitTree(ws));
        Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
        Assert.True(File.Exists(Path.Combine(ws, "c.txt")) && !File.Exists(Path.Combine(ws, "b.txt")));

        var gc = (await Api.PostAsync($"{S}/gc")).Ok();
        Assert.Equal(["workspace", "droppedSnapshots", "objectsDeleted", "bytesFreed", "remaining"], Keys(gc));

        var deleted = (await Api.DeleteAsync(S)).Ok();
        Assert.Equal(["session", "workspace", "directory", "snapshots"], Keys(deleted));
        Assert.Equal(("http-ops", ws), (deleted.GetProperty("session").GetString(), deleted.GetProperty("directory").GetString()));
        (await Api.GetAsync($"{S}/diff?from={h1}")).Problem(HttpStatusCode.NotFound, "unknownSession");
        Assert.Equal(0, (await Api.GetAsync($"{S}/snapshots")).Ok().GetProperty("snapshots").GetArrayLength());
    }

    [Fact]
    public async Task Changes_pages_with_after()
    {
        var files = Enumerable.Range(1, 5).Select(i => ($"f{i}.txt", $"{i}\n")).ToArray();
        var ws = fixture.NewWorkspace(files);
        const string S = "/v1/sessions/http-pages";
        var since = (await Api.PostAsync($"{S}/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString()!;
        foreach (var (path, _) in files)
        {
            File.AppendAllText(Path.Combine(ws, path), "more\n");
        }

        var first = (await Api.GetAsync($"{S}/changes?since={since}")).Ok();
        Assert.Equal(["f1.txt", "f2.txt", "f3.txt"], Strings(first.GetProperty("files")));
        Assert.Equal((5, 2), (first.GetProperty("fileCount").GetInt32(), first.GetProperty("omittedFiles").GetInt32()));

        var second = (await Api.GetAsync($"{S}/changes?since={since}&after=f3.txt")).Ok();
        Assert.Equal(["f4.txt", "f5.txt"], Strings(second.GetProperty("files")));
        Assert.Equal((5, 0), (second.GetProperty("fileCount").GetInt32(), second.GetProperty("omittedFiles").GetInt32()));
    }

    [Fact]
    public async Task Revert_takes_absolute_paths_inside_the_workspace_as_the_sdk_does()
    {
        var ws = fixture.NewWorkspace(("src/a.txt", "one\n"));
        const string S = "/v1/sessions/http-revert-abs";
        var h1 = (await Api.PostAsync($"{S}/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString()!;
        File.WriteAllText(Path.Combine(ws, "src", "a.txt"), "two\n");

        var revert = (await Api.PostAsync($"{S}/revert", new { to = h1, files = new List<string> { Path.Combine(ws, "src", "a.txt") } })).Ok();
        Assert.Equal(["src/a.txt"], Strings(revert.GetProperty("written")));
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(ws, "src", "a.txt")));
    }

    [Fact]
    public async Task Health_and_the_openapi_document_share_the_api_port()
    {
        var live = (await Api.GetAsync("/health/live")).Ok();
        Assert.Equal("live", live.GetProperty("status").GetString());
        var ready = (await Api.GetAsync("/health/ready")).Ok();
        Assert.Equal(("ready", "Active", "ok"), (ready.GetProperty("status").GetString(), ready.GetProperty("membership").GetString(), ready.GetProperty("storage").GetString()));
        Assert.Equal("3.1.1", (await Api.GetAsync("/openapi/v1.json")).Ok().GetProperty("openapi").GetString());
    }

    /// <summary>The tree hash git computes for the directory's files (in a repository of its own).</summary>
    internal static string GitTree(string ws)
    {
        using var repo = new TempDirectory("as-http-git");
        return Shell.Run(ws, $"git init -q --bare {repo.Path} && export GIT_DIR={repo.Path} GIT_WORK_TREE=. && git add -A && git write-tree").Trim();
    }
}
