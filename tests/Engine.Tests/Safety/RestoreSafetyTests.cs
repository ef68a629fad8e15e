using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Engine.Safety;

/// <summary>Restore safety through Linux directory handles.</summary>
public sealed class RestoreSafetyTestsWithDirectoryHandles() : RestoreSafetyTests(portable: false);

/// <summary>Restore safety through the portable, path-based writer.</summary>
public sealed class RestoreSafetyTestsWithPortableWriter() : RestoreSafetyTests(portable: true);

/// <summary>Restore and revert never lose work: planted symlinks, failures halfway, files no snapshot holds.</summary>
public abstract class RestoreSafetyTests(bool portable) : PerReaderTests(portable)
{
    private readonly TempDirectory _outside = new("as-outside");

    protected override void Dispose(bool disposing)
    {
        _outside.Dispose();
        base.Dispose(disposing);
    }

    private GitObjectId Snapshot() => GitObjectId.Parse(Ws.Workspace.Snapshot().Hash);

    private void PlantOutsideFiles()
    {
        _outside.Write("file.txt", "outside: must survive\n");
        _outside.Write("b.txt", "outside b\n");
        _outside.Write("deeper/x.txt", "outside x\n");
    }

    [Fact]
    public void A_tracked_directory_replaced_by_a_symlink_to_outside_is_replaced_back_never_written_through()
    {
        PlantOutsideFiles();
        Ws.Write("sub/file.txt", "inside\n");
        Ws.Write("sub/deeper/x.txt", "inside x\n");
        Ws.Write("top.txt", "top\n");
        var before = Snapshot();
        var outsideBefore = TreeFingerprint.Of(_outside.Path);

        Directory.Delete(Ws.Path("sub"), recursive: true);
        File.CreateSymbolicLink(Ws.Path("sub"), _outside.Path);
        var result = Ws.Workspace.Restore(before, null);

        Assert.Equal(outsideBefore, TreeFingerprint.Of(_outside.Path));
        Assert.Null(new DirectoryInfo(Ws.Path("sub")).LinkTarget);
        Assert.Equal("inside\n", Ws.Read("sub/file.txt"));
        Assert.Equal(["sub"], result.Deleted);
        Assert.Equal(before.ToHex(), Snapshot().ToHex());

        // And back: the safety snapshot holds the link, restored as a link (pointing out, not written through).
        Ws.Workspace.Restore(result.Safety.Tree, null);
        Assert.Equal(_outside.Path, new DirectoryInfo(Ws.Path("sub")).LinkTarget);
        Assert.Equal(outsideBefore, TreeFingerprint.Of(_outside.Path));
    }

    [Fact]
    public void A_file_replaced_by_a_symlink_to_an_outside_file_is_replaced_never_written_through()
    {
        PlantOutsideFiles();
        Ws.Write("file.txt", "inside\n");
        var before = Snapshot();
        var outsideBefore = TreeFingerprint.Of(_outside.Path);

        File.Delete(Ws.Path("file.txt"));
        File.CreateSymbolicLink(Ws.Path("file.txt"), Path.Combine(_outside.Path, "file.txt"));
        Ws.Workspace.Restore(before, null);

        Assert.Equal(outsideBefore, TreeFingerprint.Of(_outside.Path));
        Assert.Null(new FileInfo(Ws.Path("file.txt")).LinkTarget);
        Assert.Equal("inside\n", Ws.Read("file.txt"));
    }

    [Fact]
    public void A_symlink_planted_after_the_safety_snapshot_stops_the_restore_before_it_writes_or_deletes_outside()
    {
        // The race: the safety snapshot saw a real directory; before the restore's writes, it became a link out.
        PlantOutsideFiles();
        Ws.Write("sub/file.txt", "v1\n");
        var target = Snapshot();
        Ws.Write("sub/file.txt", "v2\n");
        Ws.Write("sub/b.txt", "added since\n");
        Ws.Write("sub/deeper/x.txt", "added since\n");
        var safety = Ws.Workspace.Snapshot();
        var outsideBefore = TreeFingerprint.Of(_outside.Path);

        Directory.Delete(Ws.Path("sub"), recursive: true);
        File.CreateSymbolicLink(Ws.Path("sub"), _outside.Path);
        var restorer = new WorkspaceRestorer(Ws.Workspace.Directory, Ws.Workspace.Store, NullLogger.Instance, portable: Portable);
        var e = Assert.Throws<RestoreFailedException>(() => restorer.Restore(target, safety, null, CancellationToken.None));

        Assert.Contains("symlink", e.Message, StringComparison.Ordinal);
        Assert.Equal(safety.Hash, e.Safety);
        Assert.Equal(outsideBefore, TreeFingerprint.Of(_outside.Path));
    }

    [Fact]
    public void A_failure_halfway_leaves_the_workspace_recoverable_from_the_safety_snapshot_and_says_how()
    {
        Ws.Write(".gitignore", "*.cache\n");
        Ws.Write("a.txt", "a1\n");
        Ws.Write("m/inner.txt", "m was a directory\n");
        Ws.Write("z.txt", "z1\n");
        var target = Snapshot();

        // Since then: a.txt and z.txt edited, gone.txt added, and the user ignores "m" and keeps a file of that
        // name where the snapshot has a directory. Restore may not remove that file, so it must stop at m/inner.txt,
        // after .gitignore and a.txt were written and gone.txt deleted.
        Ws.Write(".gitignore", "*.cache\nm\n");
        Ws.Write("a.txt", "a2\n");
        Ws.Write("z.txt", "z2\n");
        Ws.Write("gone.txt", "added since\n");
        Directory.Delete(Ws.Path("m"), recursive: true);
        Ws.Write("m", "the user's ignored file\n");
        var workBefore = TreeFingerprintWithoutTimes();

        var e = Assert.Throws<RestoreFailedException>(() => Ws.Workspace.Restore(target, null));

        Assert.Contains("'m/inner.txt'", e.Message, StringComparison.Ordinal);
        Assert.Contains(e.Safety, e.Message, StringComparison.Ordinal);
        Assert.Contains("restore snapshot", e.Message, StringComparison.Ordinal);
        Assert.Equal("a1\n", Ws.Read("a.txt"));           // done before the failure
        Assert.False(Ws.Exists("gone.txt"));              // deletions come first
        Assert.Equal("z2\n", Ws.Read("z.txt"));           // not reached
        Assert.Equal("the user's ignored file\n", Ws.Read("m"));

        // What the error says works: restoring the safety snapshot gives back exactly the work as it was.
        Ws.Workspace.Restore(GitObjectId.Parse(e.Safety), null);
        Assert.Equal(workBefore, TreeFingerprintWithoutTimes());
    }

    [Fact]
    public void Symlinks_to_directories_and_dangling_ones_are_restored()
    {
        Ws.Write("d/x.txt", "x\n");
        File.CreateSymbolicLink(Ws.Path("to-dir"), "d");
        File.CreateSymbolicLink(Ws.Path("dangling"), "nowhere");
        var target = Snapshot();
        File.Delete(Ws.Path("to-dir"));
        File.Delete(Ws.Path("dangling"));

        var result = Ws.Workspace.Restore(target, null);

        Assert.Equal(["dangling", "to-dir"], result.Written.Order(StringComparer.Ordinal));
        Assert.Equal("d", new FileInfo(Ws.Path("to-dir")).LinkTarget);
        Assert.Equal("nowhere", new FileInfo(Ws.Path("dangling")).LinkTarget);
        Assert.Equal(target.ToHex(), Snapshot().ToHex());
    }

    [Fact]
    public void Ignored_skipped_and_never_snapshotted_files_are_untouched_by_restore_and_revert()
    {
        using var ws = new WorkspaceFixture(o => o.MaxFileBytes = 1000);
        ws.Write(".gitignore", "*.env\nbuild/\n");
        ws.Write("code.txt", "c1\n");
        var target = GitObjectId.Parse(ws.Workspace.Snapshot().Hash);

        ws.Write("code.txt", "c2\n");
        ws.Write("secrets.env", "ignored\n");
        ws.Write("build/out.bin", "ignored dir\n");
        ws.Write("huge.dat", new string('h', 5000));                   // skipped: over MaxFileBytes
        Shell.Run(ws.Root, "printf 'raw' > \"$(printf 'raw-\\377')\""); // never snapshotted: not valid UTF-8
        string Untouched() => Shell.Run(ws.Root,
            "for f in secrets.env build/out.bin huge.dat \"$(printf 'raw-\\377')\"; do sha1sum \"$f\"; stat -c '%s %Y %a' \"$f\"; done");
        var untouched = Untouched();

        var restore = ws.Workspace.Restore(target, null);
        Assert.Equal(["code.txt"], restore.Written);
        Assert.Empty(restore.Deleted);
        Assert.Equal(untouched, Untouched());

        ws.Write("code.txt", "c3\n");
        var revert = ws.Workspace.Revert(target, ["code.txt", "secrets.env", "build", "huge.dat"]);
        Assert.Equal(["code.txt"], revert.Written);
        Assert.Empty(revert.Deleted);
        Assert.Equal(untouched, Untouched());
    }

    [Fact]
    public void Revert_of_a_path_below_a_symlink_touches_nothing_outside()
    {
        PlantOutsideFiles();
        Ws.Write("a.txt", "a\n");
        File.CreateSymbolicLink(Ws.Path("link"), _outside.Path);
        var target = Snapshot();
        var outsideBefore = TreeFingerprint.Of(_outside.Path);

        var result = Ws.Workspace.Revert(target, ["link/file.txt", "link/deeper"]);

        Assert.Empty(result.Written);
        Assert.Empty(result.Deleted);
        Assert.Equal(outsideBefore, TreeFingerprint.Of(_outside.Path));
    }

    private string TreeFingerprintWithoutTimes() =>
        Shell.Run(Ws.Root, "{ find . -printf '%y %m %s %p -> %l\\n'; find . -type f -exec sha1sum {} +; } | LC_ALL=C sort");
}
