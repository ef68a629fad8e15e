using System.Globalization;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Retention;
using AgentSnapshots.Tests.Service;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Safety;

/// <summary>A packed store damaged behind the service's back: coded errors naming the object, the snapshots and the store; the silo keeps serving.</summary>
public sealed class StoreDamageTests(ServiceClusterFixture fixture) : IClassFixture<ServiceClusterFixture>
{
    private static string Log(int turn) =>
        string.Concat(Enumerable.Range(0, 60_000 + turn * 300).Select(i => $"2026-11-23 INFO request {i:D8} took {(i * 17 + (i % 700 == turn ? 3 : 0)) % 991} ms\n"));

    [Fact]
    public async Task A_corrupt_or_missing_packed_object_is_a_coded_error_naming_it_and_the_silo_keeps_serving()
    {
        var dir = fixture.NewWorkspace("damage");
        var session = fixture.Grains.GetGrain<ISessionGrain>("damage");
        var hashes = new List<string>();
        for (var turn = 1; turn <= 3; turn++)
        {
            Content.Write(dir, "logs/app.log", Log(turn));
            hashes.Add((await session.Track(turn == 1 ? dir : null, $"turn {turn}")).Hash);
        }
        await session.Collect();
        var store = Path.Combine(fixture.DataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(dir)!));
        var index = Directory.GetFiles(Path.Combine(store, "objects", "pack"), "*.idx").Single();
        var log3 = Git.Run(dir, "--git-dir", store, "rev-parse", hashes[2] + ":logs/app.log").Trim();
        // verify-pack -v: "<id> <type> <size> <size in pack> <offset> [<depth> <base>]"; turn 3's log is the chain's tip.
        var row = Git.Run(dir, "--git-dir", store, "verify-pack", "-v", index).Split('\n')
            .Single(l => l.StartsWith(log3, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var offset = long.Parse(row[4], CultureInfo.InvariantCulture);
        var length = long.Parse(row[3], CultureInfo.InvariantCulture);
        using (var pack = new FileStream(Path.ChangeExtension(index, ".pack"), FileMode.Open, FileAccess.ReadWrite))
        {
            pack.Position = offset + length / 2;
            var bytes = new byte[Math.Min(64, length / 4)];
            pack.ReadExactly(bytes);
            for (var i = 0; i < bytes.Length; i++) bytes[i] ^= 0xa5;
            pack.Position = offset + length / 2;
            pack.Write(bytes);
        }

        // Turns 1 and 3: a pair no step's stats computed (and cached) before the damage.
        var corrupt = await Assert.ThrowsAsync<SnapshotServiceException>(() => session.Diff(hashes[0], hashes[2]));
        Assert.Equal(ServiceError.CorruptObject, corrupt.Error);
        foreach (var named in new[] { log3, store, "logs/app.log", hashes[0], hashes[2] })
        {
            Assert.Contains(named, corrupt.Message, StringComparison.Ordinal);
        }
        // What does not stand on the damaged entry still reads: turn 2's log, restored.
        await session.Restore(hashes[1]);
        Assert.Equal(Log(2), File.ReadAllText(Path.Combine(dir, "logs", "app.log")));

        foreach (var file in Directory.GetFiles(Path.Combine(store, "objects", "pack"))) File.Delete(file);
        var missing = await Assert.ThrowsAsync<SnapshotServiceException>(() => session.Diff(hashes[0], hashes[2]));
        Assert.Equal(ServiceError.MissingObject, missing.Error);
        Assert.Contains(store, missing.Message, StringComparison.Ordinal);
        Assert.Contains(hashes[0], missing.Message, StringComparison.Ordinal);

        // The silo serves on: another workspace tracks and diffs.
        var other = fixture.NewWorkspace("damage-other");
        var healthy = fixture.Grains.GetGrain<ISessionGrain>("damage-other");
        Content.Write(other, "a.txt", "a\n");
        var first = await healthy.Track(other, "one");
        Content.Write(other, "a.txt", "b\n");
        Assert.Equal(1, (await healthy.Diff(first.Hash, null)).FileCount);
    }
}
