using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Retention;
using AgentSnapshots.Tests.Service;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Safety;

/// <summary>A packed store damaged behind the service's back: coded errors naming the object, the snapshots and the store; the silo keeps serving.</summary>
public sealed class StoreDamageTests(ServiceClusterFixture fixture) : IClassFixture<ServiceClusterFixture>
{
    [Fact]
    public async Task A_corrupt_or_missing_packed_object_is_a_coded_error_naming_it_and_the_silo_keeps_serving()
    {
        var dir = fixture.NewWorkspace("damage");
        var session = fixture.Grains.GetGrain<ISessionGrain>("damage");
        var hashes = new List<string>();
        for (var turn = 1; turn <= 3; turn++)
        {
            Content.Write(dir, "logs/app.log", GrowingLog.Turn(turn, 60_000, 300));
            hashes.Add((await session.TrackAsync(turn == 1 ? dir : null, $"turn {turn}")).Hash);
        }
        await session.CollectAsync();
        var store = Path.Combine(fixture.DataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(dir)!));
        var log3 = Git.Run(dir, "--git-dir", store, "rev-parse", hashes[2] + ":logs/app.log").Trim();
        // Turn 3's log is the tip of the log's delta chain.
        PackDamage.FlipBytesOf(store, log3);

        // Turns 1 and 3: a pair no step's stats computed (and cached) before the damage.
        var corrupt = await Assert.ThrowsAsync<SnapshotServiceException>(() => session.DiffAsync(hashes[0].AsHash(), hashes[2].AsHash()));
        Assert.Equal(ServiceError.CorruptObject, corrupt.Error);
        foreach (var named in new[] { log3, store, "logs/app.log", hashes[0], hashes[2] })
        {
            Assert.Contains(named, corrupt.Message, StringComparison.Ordinal);
        }
        // What does not stand on the damaged entry still reads: turn 2's log, restored.
        await session.RestoreAsync(hashes[1].AsHash());
        Assert.Equal(GrowingLog.Turn(2, 60_000, 300), File.ReadAllText(Path.Combine(dir, "logs", "app.log")));

        foreach (var file in Directory.GetFiles(Path.Combine(store, "objects", "pack"))) File.Delete(file);
        var missing = await Assert.ThrowsAsync<SnapshotServiceException>(() => session.DiffAsync(hashes[0].AsHash(), hashes[2].AsHash()));
        Assert.Equal(ServiceError.MissingObject, missing.Error);
        Assert.Contains(store, missing.Message, StringComparison.Ordinal);
        Assert.Contains(hashes[0], missing.Message, StringComparison.Ordinal);

        // The silo serves on: another workspace tracks and diffs.
        var other = fixture.NewWorkspace("damage-other");
        var healthy = fixture.Grains.GetGrain<ISessionGrain>("damage-other");
        Content.Write(other, "a.txt", "a\n");
        var first = await healthy.TrackAsync(other, "one");
        Content.Write(other, "a.txt", "b\n");
        Assert.Equal(1, (await healthy.DiffAsync(first.Hash.AsHash(), null)).FileCount);
    }
}
