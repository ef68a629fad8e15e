using System.Net;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Cluster;
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
