using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Safety;

/// <summary>
/// Restores write, delete and chmod through directory handles opened from the workspace root down, so a directory
/// swapped for a symlink to outside while a restore runs cannot make it write or delete outside: a racing thread
/// keeps swapping the workspace's directories for symlinks to outside directories holding the same file names,
/// while restores go back and forth between two snapshots that rewrite, add, delete and chmod those files.
/// </summary>
public sealed class RestoreConfinementTests : IDisposable
{
    private const string Secret = "OUTSIDE-SECRET";
    private const int FilesPerDirectory = 60;
    private static readonly string[] Levels = ["", "deep"];

    private readonly TempDirectory _temp = new("as-confine-restore");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Directories_swapped_for_symlinks_to_outside_never_let_a_restore_write_or_delete_outside()
    {
        var outside = _temp.Combine("outside");
        var work = WorkspaceIdentity.RealPath(Directory.CreateDirectory(_temp.Combine("work")).FullName)!;
        foreach (var level in Levels)
        {
            for (var i = 0; i < FilesPerDirectory; i++)
            {
                _temp.Write(Path.Combine("outside", level, $"f{i}.txt"), $"{Secret} {level} {i}\n");
                _temp.Write(Path.Combine("outside", level, $"only-in-b{i}.txt"), $"{Secret} {level} {i}\n");
            }
        }
        var options = new SnapshotsOptions { DataDir = _temp.Combine("data"), WorkspaceRoots = [_temp.Path] };
        using var workspace = Workspace.Open(work, options);
        // Snapshot a: every file at v1. Snapshot b: every file at v2 and executable, plus files a lacks (so a
        // restore to a deletes them and one to b creates them).
        WriteVersion(work, "v1", extraFiles: false);
        var a = GitObjectId.Parse(workspace.Snapshot().Hash);
        WriteVersion(work, "v2", extraFiles: true);
        var b = GitObjectId.Parse(workspace.Snapshot().Hash);
        var outsideBefore = TreeFingerprint.Of(outside);

        using var racer = new SymlinkSwapRacer((Path.Combine(work, "d"), outside), (Path.Combine(work, "d", "deep"), Path.Combine(outside, "deep")));
        var restores = 0;
        var refused = 0;
        try
        {
            // At least 40 restores, and on until the racer has swapped often enough (a loaded machine may start it late).
            var deadline = DateTime.UtcNow.AddMinutes(3);
            for (var round = 0; (round < 40 || racer.Swaps <= 10) && DateTime.UtcNow < deadline; round++)
            {
                try
                {
                    workspace.Restore(round % 2 == 0 ? a : b, null);
                    restores++;
                }
                catch (RestoreFailedException e)
                {
                    // The restore met a symlink where a directory belongs (planted between its safety snapshot and
                    // its writes): it stops there and names the safety snapshot, which is what it must do.
                    Assert.Contains(e.Safety, e.Message, StringComparison.Ordinal);
                    refused++;
                }
            }
        }
        finally
        {
            await racer.StopAsync();
        }

        var swaps = racer.Swaps;
        Assert.True(swaps > 10, $"only {swaps} swaps ran during {restores} restores ({refused} more stopped at a symlink)");
        // Nothing outside was written, deleted, renamed or chmodded, and nothing from outside reached the store.
        Assert.Equal(outsideBefore, TreeFingerprint.Of(outside));
        var everything = Git.Run(_temp.Path, "--git-dir", workspace.Store.GitDir, "cat-file", "--batch-all-objects", "--batch");
        Assert.DoesNotContain(Secret, everything, StringComparison.Ordinal);
        // Once the racing stops, a restore gives back exactly the snapshot.
        workspace.Restore(b, null);
        Assert.Equal(b.ToHex(), workspace.Snapshot().Hash);
    }

    private static void WriteVersion(string work, string version, bool extraFiles)
    {
        foreach (var level in Levels)
        {
            var dir = Directory.CreateDirectory(Path.Combine(work, "d", level)).FullName;
            for (var i = 0; i < FilesPerDirectory; i++)
            {
                var file = Path.Combine(dir, $"f{i}.txt");
                File.WriteAllText(file, $"inside {level} {i} {version}\n");
                if (extraFiles)
                {
                    File.SetUnixFileMode(file, File.GetUnixFileMode(file) | UnixFileMode.UserExecute);
                    File.WriteAllText(Path.Combine(dir, $"only-in-b{i}.txt"), $"inside {level} {i}\n");
                }
            }
        }
    }
}
