using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>Cancellation reaches the engine: snapshots and restores stop between files, and a restore says how to undo it.</summary>
public sealed class CancellationTests : IDisposable
{
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void A_cancelled_snapshot_writes_no_tree_and_the_next_one_works()
    {
        _ws.Write("a.txt", "a\n");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => _ws.Workspace.Snapshot(cancelled.Token));

        Assert.Null(_ws.Workspace.LastSnapshot);
        var taken = _ws.Workspace.Snapshot();
        Assert.Equal(["a.txt"], _ws.ListPaths(taken.Hash));
    }

    [Fact]
    public async Task A_restore_cancelled_between_files_names_the_safety_snapshot_that_undoes_it()
    {
        const int Files = 10_000;
        for (var i = 0; i < Files; i++)
        {
            _ws.Write($"d{i % 50}/f{i:D5}.txt", "old\n");
        }
        var target = _ws.Workspace.Snapshot().Tree;
        for (var i = 0; i < Files; i++)
        {
            File.WriteAllText(_ws.Path($"d{i % 50}/f{i:D5}.txt"), "new\n");
        }
        var before = Contents();

        // Cancel as soon as the restore has written its first file.
        using var cts = new CancellationTokenSource();
        var first = _ws.Path("d0/f00000.txt");
        var watcher = Task.Run(() =>
        {
            while (!cts.IsCancellationRequested && File.ReadAllText(first) != "old\n") Thread.Yield();
            cts.Cancel();
        });
        var e = Assert.ThrowsAny<OperationCanceledException>(() => _ws.Workspace.Restore(target, null, cts.Token));
        await watcher;

        var safety = _ws.Workspace.LastSnapshot!;
        Assert.Contains(safety.Hash, e.Message, StringComparison.Ordinal);
        var restored = Directory.EnumerateFiles(_ws.Root, "*.txt", SearchOption.AllDirectories).Count(f => File.ReadAllText(f) == "old\n");
        Assert.InRange(restored, 1, Files - 1);

        // The safety snapshot brings the workspace back exactly as it was before the restore.
        _ws.Workspace.Restore(safety.Tree, null);
        Assert.Equal(before, Contents());
    }

    private SortedDictionary<string, string> Contents() =>
        new(Directory.EnumerateFiles(_ws.Root, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText), StringComparer.Ordinal);
}
