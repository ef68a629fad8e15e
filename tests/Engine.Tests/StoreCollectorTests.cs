using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

public sealed class StoreCollectorTests : IDisposable
{
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Collection_frees_dropped_snapshots_and_keeps_live_ones_restorable()
    {
        _ws.Write("keep.txt", "shared by every snapshot\n");
        _ws.Write("big.log", new string('a', 200_000));
        var first = _ws.Workspace.Snapshot();
        _ws.Write("big.log", new string('b', 200_000));
        var second = _ws.Workspace.Snapshot();
        _ws.Write("big.log", new string('c', 200_000));
        var third = _ws.Workspace.Snapshot();
        var before = StoreCollector.Usage(_ws.Workspace.Store);

        // Keep the first and the third; the second is dropped (and the ref that each snapshot appended to is rebuilt).
        var result = StoreCollector.Collect(_ws.Workspace.Store, [GitObjectId.Parse(first.Hash), GitObjectId.Parse(third.Hash)], [], TimeSpan.Zero);

        // The second's tree and its big.log blob, and the three commits that appended the snapshots to the ref.
        Assert.Equal(5, result.ObjectsDeleted);
        Assert.True(result.BytesFreed > 0);
        Assert.Equal(before.Bytes - result.BytesFreed, result.Remaining.Bytes);
        Assert.Equal(result.Remaining, StoreCollector.Usage(_ws.Workspace.Store));
        Git.Run(_ws.Root, "--git-dir", _ws.Workspace.Store.GitDir, "fsck", "--connectivity-only", first.Hash, third.Hash);

        _ws.Workspace.Restore(GitObjectId.Parse(first.Hash), null);
        Assert.Equal(new string('a', 200_000), _ws.Read("big.log"));
        Assert.Equal(EngineError.UnknownSnapshot,
            Assert.Throws<EngineException>(() => _ws.Workspace.Restore(GitObjectId.Parse(second.Hash), null)).Error);
    }

    [Fact]
    public void Young_objects_and_fresh_temporaries_survive_and_old_temporaries_go()
    {
        _ws.Write("a.txt", "a\n");
        var snapshot = _ws.Workspace.Snapshot();
        var objects = Path.Combine(_ws.Workspace.Store.GitDir, "objects");
        var staleTmp = Path.Combine(objects, "tmp_obj_crashed");
        var freshTmp = Path.Combine(objects, "tmp_obj_inflight");
        File.WriteAllText(staleTmp, "half-written by a killed process");
        File.SetLastWriteTimeUtc(staleTmp, DateTime.UtcNow.AddHours(-2));
        File.WriteAllText(freshTmp, "being written now");

        // Nothing is live, but everything is younger than the grace period.
        var result = StoreCollector.Collect(_ws.Workspace.Store, [], TimeSpan.FromHours(1));

        Assert.Equal(0, result.ObjectsDeleted);
        Assert.Equal(1, result.TemporaryFilesDeleted);
        Assert.False(File.Exists(staleTmp));
        Assert.True(File.Exists(freshTmp));
        Assert.True(_ws.Workspace.HasTree(GitObjectId.Parse(snapshot.Hash)));
    }
}
