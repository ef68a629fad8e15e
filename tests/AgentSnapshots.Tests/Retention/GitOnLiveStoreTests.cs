using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Service;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Retention;

/// <summary>
/// git run by anyone on a live workspace store (the design says git can read and maintain it): <c>git gc --prune=now</c>
/// and an aggressive repack keep every retained snapshot, which still diffs and restores through the service, and the
/// service's own collection then carries on over git's packs.
/// </summary>
public sealed class GitOnLiveStoreTests(ServiceClusterFixture fixture) : IClassFixture<ServiceClusterFixture>
{
    [Fact]
    public async Task Git_gc_prune_now_and_repack_on_a_live_store_lose_no_retained_snapshot()
    {
        var dir = fixture.NewWorkspace("git-gc");
        var session = fixture.Grains.GetGrain<ISessionGrain>("git-gc");
        var turns = new List<(string Hash, string Log, string Note)>();
        for (var turn = 1; turn <= 4; turn++)
        {
            Content.Write(dir, "logs/app.log", GrowingLog.Turn(turn, 40_000, 500));
            Content.Write(dir, "notes.txt", $"turn {turn}\n");
            var tracked = await session.TrackAsync(turn == 1 ? dir : null, $"turn {turn}");
            turns.Add((tracked.Hash, GrowingLog.Turn(turn, 40_000, 500), $"turn {turn}\n"));
        }
        var store = Path.Combine(fixture.DataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(dir)!));
        string Git(params string[] args) => Support.Git.Run(dir, ["--git-dir", store, .. args]);

        Git("gc", "--prune=now", "--quiet");
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(store, "objects"), "??").SelectMany(Directory.EnumerateFiles));
        Git("fsck", "--strict");

        for (var i = 1; i < turns.Count; i++)
        {
            var summary = await session.DiffAsync((turns[i - 1].Hash).AsHash(), turns[i].Hash.AsHash());
            var numstat = Git("diff", "--numstat", turns[i - 1].Hash, turns[i].Hash).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(numstat.Length, summary.FileCount);
            Assert.Equal(numstat.Sum(l => long.Parse(l.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture)), summary.Additions);
        }
        foreach (var (hash, log, note) in turns)
        {
            await session.RestoreAsync(hash.AsHash());
            Assert.Equal(log, Content.Read(dir, "logs/app.log"));
            Assert.Equal(note, Content.Read(dir, "notes.txt"));
        }

        // The service's collection over git's pack, then git's most aggressive repack over ours.
        await session.CollectAsync();
        Git("fsck", "--strict");
        Git("repack", "-adfq", "--depth=50", "--window=250");
        Git("fsck", "--strict");
        var history = (await session.HistoryAsync()).Snapshots.Select(s => s.Hash).ToList();
        Assert.All(turns, t => Assert.Contains(t.Hash, history));
        foreach (var (hash, log, _) in turns.AsEnumerable().Reverse())
        {
            await session.RestoreAsync(hash.AsHash());
            Assert.Equal(log, Content.Read(dir, "logs/app.log"));
        }
    }
}
