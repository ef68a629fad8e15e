using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Engine.Safety;

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

        // d and d/deep in turn become symlinks to the outside directories with the same file names, and back.
        using var racer = new SymlinkSwapRacer((Path.Combine(work, "d"), outside), (Path.Combine(work, "d", "deep"), Path.Combine(outside, "deep")));
        try
        {
            // At least 60 snapshots, and on until the racer has swapped often enough to have raced them (however slow the machine).
            var deadline = DateTime.UtcNow.AddMinutes(2);
            for (var round = 0; round < 60 || (racer.Swaps <= 10 && DateTime.UtcNow < deadline); round++) workspace.Snapshot();
        }
        finally
        {
            await racer.StopAsync();
        }

        var swaps = racer.Swaps;
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
