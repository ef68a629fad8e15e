using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>Restores through Linux directory handles.</summary>
public sealed class RestoreTestsWithDirectoryHandles() : RestoreTests(portable: false);

/// <summary>Restores through the portable, path-based writer other systems use.</summary>
public sealed class RestoreTestsWithPortableWriter() : RestoreTests(portable: true);

public abstract class RestoreTests(bool portable) : PerReaderTests(portable)
{
    private GitObjectId Snapshot() => GitObjectId.Parse(Ws.Workspace.Snapshot().Hash);

    [Fact]
    public void A_corrupt_object_stops_the_restore_with_its_code_naming_the_path_the_snapshot_and_the_safety_snapshot_that_undoes_it()
    {
        Ws.Write("a.txt", "a1\n");
        Ws.Write("b.txt", "b1\n");
        var before = Snapshot();
        Ws.Write("a.txt", "a2\n");
        Ws.Write("b.txt", "b2\n");
        // b.txt's first version, damaged on disk: a.txt is written before the restore reaches it.
        var blob = Git.Run(Ws.Root, "--git-dir", Ws.Workspace.Store.GitDir, "rev-parse", before.ToHex() + ":b.txt").Trim();
        var file = System.IO.Path.Combine(Ws.Workspace.Store.GitDir, "objects", blob[..2], blob[2..]);
        File.SetAttributes(file, FileAttributes.Normal);
        File.WriteAllText(file, "not a zlib stream");

        var e = Assert.Throws<CorruptObjectException>(() => Ws.Workspace.Restore(before, null));

        var safety = Ws.Workspace.LastSnapshot!.Hash;
        foreach (var named in new[] { blob, Ws.Workspace.Store.GitDir, "'b.txt'", before.ToHex(), "partly restored", safety })
        {
            Assert.Contains(named, e.Message, StringComparison.Ordinal);
        }
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("a1\n", Ws.Read("a.txt"));
        Assert.Equal("b2\n", Ws.Read("b.txt"));

        // The safety snapshot named undoes what was written.
        Ws.Workspace.Restore(GitObjectId.Parse(safety), null);
        Assert.Equal("a2\n", Ws.Read("a.txt"));
    }

    [Fact]
    public void Restore_rewrites_changed_files_deletes_new_ones_and_keeps_ignored_ones()
    {
        Ws.Write(".gitignore", "*.local\n");
        Ws.Write("a.txt", "a1\n");
        Ws.Write("dir/b.txt", "b1\n");
        Ws.Write("gone.txt", "will be deleted by the agent\n");
        var before = Snapshot();

        Ws.Write("a.txt", "a2\n");
        File.Delete(Ws.Path("gone.txt"));
        Ws.Write("created/by/agent.txt", "new\n");
        Ws.Write("settings.local", "ignored: the user's own\n");

        var result = Ws.Workspace.Restore(before, null);

        Assert.Equal("a1\n", Ws.Read("a.txt"));
        Assert.Equal("will be deleted by the agent\n", Ws.Read("gone.txt"));
        Assert.False(Ws.Exists("created"));
        Assert.Equal("ignored: the user's own\n", Ws.Read("settings.local"));
        Assert.Equal(["a.txt", "gone.txt"], result.Written.Order(StringComparer.Ordinal));
        Assert.Equal(["created/by/agent.txt"], result.Deleted);
        Assert.Equal(before.ToHex(), Snapshot().ToHex());

        // The safety snapshot undoes the restore.
        Ws.Workspace.Restore(result.Safety.Tree, null);
        Assert.Equal("a2\n", Ws.Read("a.txt"));
        Assert.Equal("new\n", Ws.Read("created/by/agent.txt"));
        Assert.False(Ws.Exists("gone.txt"));
    }

    [Fact]
    public void Restore_brings_back_modes_symlinks_and_file_directory_swaps()
    {
        File.SetUnixFileMode(Ws.Write("tool.sh", "#!/bin/sh\n"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Ws.Path("link"), "tool.sh");
        Ws.Write("swap", "was a file\n");
        Ws.Write("dir/inner.txt", "was a directory\n");
        var before = Snapshot();

        File.SetUnixFileMode(Ws.Path("tool.sh"), (UnixFileMode)0b110_100_100);
        File.Delete(Ws.Path("link"));
        Ws.Write("link", "now a regular file\n");
        File.Delete(Ws.Path("swap"));
        Ws.Write("swap/child.txt", "now a directory\n");
        Directory.Delete(Ws.Path("dir"), recursive: true);
        Ws.Write("dir", "now a file\n");

        Ws.Workspace.Restore(before, null);

        Assert.True(File.GetUnixFileMode(Ws.Path("tool.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("tool.sh", new FileInfo(Ws.Path("link")).LinkTarget);
        Assert.Equal("was a file\n", Ws.Read("swap"));
        Assert.Equal("was a directory\n", Ws.Read("dir/inner.txt"));
        Assert.Equal(before.ToHex(), Snapshot().ToHex());
    }

    [Fact]
    public void Revert_touches_only_the_listed_files()
    {
        Ws.Write("a.txt", "a1\n");
        Ws.Write("b.txt", "b1\n");
        Ws.Write("src/c.txt", "c1\n");
        var before = Snapshot();
        Ws.Write("a.txt", "a2\n");
        Ws.Write("b.txt", "b2\n");
        Ws.Write("src/c.txt", "c2\n");
        Ws.Write("src/new.txt", "added since\n");

        var result = Ws.Workspace.Revert(before, ["a.txt", "./src/new.txt"]);

        Assert.Equal("a1\n", Ws.Read("a.txt"));
        Assert.Equal("b2\n", Ws.Read("b.txt"));
        Assert.Equal("c2\n", Ws.Read("src/c.txt"));
        Assert.False(Ws.Exists("src/new.txt"));
        Assert.Equal(["a.txt"], result.Written);
        Assert.Equal(["src/new.txt"], result.Deleted);

        // A directory argument reverts everything below it.
        Ws.Workspace.Revert(before, ["src"]);
        Assert.Equal("c1\n", Ws.Read("src/c.txt"));
        Assert.Equal("b2\n", Ws.Read("b.txt"));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../outside.txt")]
    [InlineData("a/../../outside.txt")]
    [InlineData("")]
    [InlineData(".")]
    [InlineData(".git/config")]
    public void Revert_refuses_paths_outside_the_workspace_and_changes_nothing(string bad)
    {
        Ws.Write("a.txt", "a1\n");
        var before = Snapshot();
        Ws.Write("a.txt", "a2\n");
        var objectsBefore = Ws.Workspace.Store.EnumerateObjects().Count();

        var e = Assert.Throws<EngineException>(() => Ws.Workspace.Revert(before, [bad]));

        Assert.Equal(EngineError.InvalidPath, e.Error);
        Assert.Contains(bad.Length == 0 ? "empty" : bad, e.Message, StringComparison.Ordinal);
        Assert.Equal("a2\n", Ws.Read("a.txt"));
        Assert.Equal(objectsBefore, Ws.Workspace.Store.EnumerateObjects().Count());
    }

    [Fact]
    public void Restore_to_an_unknown_tree_is_refused()
    {
        Ws.Write("a.txt", "a\n");
        var blob = GitObjectId.Parse(Ws.ListTree(Snapshot().ToHex()).Length == 1
            ? Git.Run(Ws.Root, "hash-object", Ws.Path("a.txt")).Trim()
            : throw new InvalidOperationException());
        var unknown = GitObjectId.Parse(new string('1', 40));
        Assert.Equal(EngineError.UnknownSnapshot, Assert.Throws<EngineException>(() => Ws.Workspace.Restore(unknown, null)).Error);
        // A blob is not a snapshot either.
        Assert.Equal(EngineError.UnknownSnapshot, Assert.Throws<EngineException>(() => Ws.Workspace.Restore(blob, null)).Error);
    }

    [Fact]
    public void Skipped_large_files_are_never_touched()
    {
        using var ws = new WorkspaceFixture(o => o.MaxFileBytes = 100);
        ws.Write("big.bin", new string('1', 200));
        ws.Write("small.txt", "s1\n");
        var before = GitObjectId.Parse(ws.Workspace.Snapshot().Hash);
        ws.Write("big.bin", new string('2', 300));
        ws.Write("small.txt", "s2\n");
        ws.Workspace.Restore(before, null);
        Assert.Equal(new string('2', 300), ws.Read("big.bin"));
        Assert.Equal("s1\n", ws.Read("small.txt"));

        // A file that was small then and is over the limit now is left alone too.
        ws.Write("small.txt", new string('3', 500));
        ws.Workspace.Restore(before, null);
        Assert.Equal(new string('3', 500), ws.Read("small.txt"));
    }

    [Fact]
    public void Restore_never_writes_through_a_symlinked_directory()
    {
        using var outside = new TempDirectory("as-outside");
        Ws.Write(".gitignore", "sub\n");
        Ws.Write("kept.txt", "k1\n");
        // The snapshot has sub/file.txt (not yet ignored when taken).
        File.WriteAllText(Ws.Path(".gitignore"), "");
        Ws.Write("sub/file.txt", "inside\n");
        var before = Snapshot();

        // Now sub is an ignored symlink to a directory outside the workspace.
        File.WriteAllText(Ws.Path(".gitignore"), "sub\n");
        Directory.Delete(Ws.Path("sub"), recursive: true);
        File.CreateSymbolicLink(Ws.Path("sub"), outside.Path);
        Ws.Write("kept.txt", "k2\n");

        var e = Assert.Throws<RestoreFailedException>(() => Ws.Workspace.Restore(before, null));
        Assert.Contains("symlink", e.Message, StringComparison.Ordinal);
        Assert.Contains(e.Safety, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
    }
}
