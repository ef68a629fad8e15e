using System.Net;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Cluster;
using AgentSnapshots.Tests.Retention;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>Failures of the service itself through real HTTP: a damaged store (500) and a workspace another process holds (503).</summary>
[Collection(HttpSiloCollectionDefinition.Name)]
public sealed class HttpServiceErrorTests(HttpSiloFixture fixture)
{
    private ApiClient Api => fixture.Api;

    [Fact]
    public async Task A_damaged_store_answers_500_with_the_service_error_code()
    {
        var ws = fixture.NewWorkspace(("a.txt", "first version\n"));
        const string S = "/v1/sessions/http-damaged";
        var h1 = (await Api.PostAsync($"{S}/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString()!;
        var store = fixture.StoreOf((await Api.GetAsync($"{S}/usage")).Ok().GetProperty("workspace").GetString()!);
        var blob = Git.Run(ws, "hash-object", "a.txt").Trim();
        var file = Path.Combine(store, "objects", blob[..2], blob[2..]);

        // Diffs against the workspace now are never cached (each is a new pair), so each reads the damaged blob.
        File.Delete(file);
        File.WriteAllText(Path.Combine(ws, "a.txt"), "second version\n");
        Assert.Contains(blob, (await Api.GetAsync($"{S}/diff?from={h1}")).Problem(HttpStatusCode.InternalServerError, "missingObject"), StringComparison.Ordinal);

        File.WriteAllText(file, "not a zlib stream");
        File.WriteAllText(Path.Combine(ws, "a.txt"), "third version\n");
        (await Api.GetAsync($"{S}/diff?from={h1}")).Problem(HttpStatusCode.InternalServerError, "corruptObject");
    }

    [Fact]
    public async Task A_corrupt_packed_object_answers_one_line_naming_it_the_snapshots_and_the_store_over_HTTP_and_in_the_CLI()
    {
        var ws = fixture.NewWorkspace();
        const string Session = "http-corrupt-pack";
        const string S = "/v1/sessions/" + Session;
        var hashes = new List<string>();
        for (var turn = 1; turn <= 3; turn++)
        {
            Content.Write(ws, "logs/app.log", GrowingLog.Turn(turn, 60_000, 300));
            hashes.Add((await Api.PostAsync($"{S}/snapshots", new { dir = ws, label = $"turn {turn}" })).Ok().GetProperty("hash").GetString()!);
        }
        (await Api.PostAsync($"{S}/gc")).Ok();
        var store = fixture.StoreOf((await Api.GetAsync($"{S}/usage")).Ok().GetProperty("workspace").GetString()!);
        var log3 = Git.Run(ws, "--git-dir", store, "rev-parse", hashes[2] + ":logs/app.log").Trim();
        PackDamage.FlipBytesOf(store, log3);

        // Turns 1 and 3: no step's stats read this pair before the damage.
        var diff = (await Api.GetAsync($"{S}/diff?from={hashes[0]}&to={hashes[2]}")).Problem(HttpStatusCode.InternalServerError, "corruptObject");
        foreach (var named in new[] { log3, store, "logs/app.log", hashes[0], hashes[2] })
        {
            Assert.Contains(named, diff, StringComparison.Ordinal);
        }
        Assert.DoesNotContain('\n', diff);

        // A restore that needs the damaged version writes nothing and says so, naming the snapshot.
        Content.Write(ws, "logs/app.log", "edited since\n");
        var restore = (await Api.PostAsync($"{S}/restore", new { to = hashes[2] })).Problem(HttpStatusCode.InternalServerError, "corruptObject");
        foreach (var named in new[] { log3, store, "logs/app.log", hashes[2], "nothing was restored" })
        {
            Assert.Contains(named, restore, StringComparison.Ordinal);
        }
        Assert.Equal("edited since\n", File.ReadAllText(Path.Combine(ws, "logs", "app.log")));

        // The CLI says the same in one line on stderr, and fails.
        var cli = await fixture.Silo.RunCliAsync("diff", "--session", Session, "--from", hashes[0], "--to", hashes[2]);
        Assert.True(cli.ExitCode == 1, cli.ToString());
        var line = Assert.Single(cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("agentsnapshots: diff failed: ", line, StringComparison.Ordinal);
        Assert.Contains(log3, line, StringComparison.Ordinal);
        Assert.Contains(store, line, StringComparison.Ordinal);

        // The silo serves on, and what does not stand on the damaged entry still reads: turn 2's log, restored.
        (await Api.PostAsync($"{S}/restore", new { to = hashes[1] })).Ok();
        Assert.Equal(GrowingLog.Turn(2, 60_000, 300), File.ReadAllText(Path.Combine(ws, "logs", "app.log")));
    }

    [Fact]
    public async Task A_workspace_locked_by_another_process_answers_503_with_retry_after()
    {
        var ws = fixture.NewWorkspace(("a.txt", "one\n"));
        var store = fixture.StoreOf(WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(ws)!));
        Directory.CreateDirectory(store);
        using var holder = WorkspaceLockTests.StartFlockHolder(Path.Combine(store, WorkspaceLock.FileName));
        try
        {
            var locked = await Api.PostAsync("/v1/sessions/http-locked/snapshots", new { dir = ws });
            locked.Problem(HttpStatusCode.ServiceUnavailable, "workspaceLocked");
            Assert.True(locked.Headers.RetryAfter is not null, locked.ToString());
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        // Once the other holder is gone, the same request succeeds: nothing was left half-done.
        (await Api.PostAsync("/v1/sessions/http-locked/snapshots", new { dir = ws })).Ok();
    }
}
