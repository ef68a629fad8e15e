using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Safety;

/// <summary>
/// Snapshots read a workspace through directory handles opened from its root down, so a directory swapped for a
/// symlink to outside while a snapshot runs cannot make it read outside: a racing thread keeps swapping
/// directories for such symlinks and back, and no byte of the outside files ever reaches the object store.
/// </summary>
public sealed class SnapshotConfinementTests : IDisposable
{
    private const string Secret = "OUTSIDE-SECRET";
    private const int FilesPerDirectory = 60;

    private readonly TempDirectory _temp = new("as-confine");
    private readonly WatchRegistry _watches = new(new WatchOptions(), NullLogger<WatchRegistry>.Instance);

    public void Dispose()
    {
        _watches.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Directories_swapped_for_symlinks_to_outside_never_bring_outside_content_in(bool watched)
    {
        var outside = _temp.Combine("outside");
        var work = WorkspaceIdentity.RealPath(Directory.CreateDirectory(_temp.Combine("work")).FullName)!;
        foreach (var dir in new[] { "", "deep" })
        {
            for (var i = 0; i < FilesPerDirectory; i++)
            {
                _temp.Write(Path.Combine("outside", dir, $"f{i}.txt"), $"{Secret} {dir} {i}\n");
                _temp.Write(Path.Combine("work", "d", dir, $"f{i}.txt"), $"inside {dir} {i}\n");
            }
        }
        var options = new SnapshotsOptions { DataDir = _temp.Combine("data"), WorkspaceRoots = [_temp.Path] };
        using var workspace = Workspace.Open(work, options, null, watched ? _watches : null, portableReading: false);
        workspace.Snapshot();

        using var stop = new CancellationTokenSource();
        var swaps = 0;
        // Its own thread: a busy test run's thread pool could start it only after the snapshots are done.
        var racer = Task.Factory.StartNew(() =>
        {
            // d and d/deep in turn become symlinks to the outside directories with the same file names, and back.
            var pairs = new[] { (Path.Combine(work, "d"), outside), (Path.Combine(work, "d", "deep"), Path.Combine(outside, "deep")) };
            while (!stop.IsCancellationRequested)
            {
                foreach (var (inside, target) in pairs)
                {
                    var moved = inside + ".moved";
                    try
                    {
                        Directory.Move(inside, moved);
                        File.CreateSymbolicLink(inside, target);
                        Thread.Yield();
                        File.Delete(inside);
                        Directory.Move(moved, inside);
                        Interlocked.Increment(ref swaps);
                    }
                    catch (IOException)
                    {
                        // The other pair's swap moved this one's parent away for a moment: put things back and go on.
                        if (new FileInfo(inside).LinkTarget is not null) File.Delete(inside);
                        if (Directory.Exists(moved) && !Path.Exists(inside)) Directory.Move(moved, inside);
                    }
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            // At least 60 snapshots, and on until the racer has swapped often enough to have raced them (however slow the machine).
            var deadline = DateTime.UtcNow.AddMinutes(2);
            for (var round = 0; round < 60 || (Volatile.Read(ref swaps) <= 10 && DateTime.UtcNow < deadline); round++) workspace.Snapshot();
        }
        finally
        {
            stop.Cancel();
            await racer;
        }

        Assert.True(swaps > 10, $"only {swaps} swaps ran during the snapshots");
        // Every object ever written to the store: none holds a byte of the outside files.
        var everything = Git.Run(_temp.Path, "--git-dir", workspace.Store.GitDir, "cat-file", "--batch-all-objects", "--batch");
        Assert.DoesNotContain(Secret, everything, StringComparison.Ordinal);
        // And once the racing stops, the snapshot is the tree git sees.
        Git.Run(work, "init", "-q");
        Git.Run(work, "add", "-A");
        Assert.Equal(Git.Run(work, "write-tree").Trim(), workspace.Snapshot().Hash);
    }
}
