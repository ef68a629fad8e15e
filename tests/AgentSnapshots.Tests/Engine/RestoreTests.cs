using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

public sealed class RestoreTests : IDisposable
{
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    private GitObjectId Snapshot() => GitObjectId.Parse(_ws.Workspace.Snapshot().Hash);

    [Fact]
    public void A_corrupt_object_stops_the_restore_with_its_code_naming_the_path_the_snapshot_and_the_safety_snapshot_that_undoes_it()
    {
        _ws.Write("a.txt", "a1\n");
        _ws.Write("b.txt", "b1\n");
        var before = Snapshot();
        _ws.Write("a.txt", "a2\n");
        _ws.Write("b.txt", "b2\n");
        // b.txt's first version, damaged on disk: a.txt is written before the restore reaches it.
        var blob = Git.Run(_ws.Root, "--git-dir", _ws.Workspace.Store.GitDir, "rev-parse", before.ToHex() + ":b.txt").Trim();
        var file = System.IO.Path.Combine(_ws.Workspace.Store.GitDir, "objects", blob[..2], blob[2..]);
        File.SetAttributes(file, FileAttributes.Normal);
        File.WriteAllText(file, "not a zlib stream");

        var e = Assert.Throws<CorruptObjectException>(() => _ws.Workspace.Restore(before, null));

        var safety = _ws.Workspace.LastSnapshot!.Hash;
        foreach (var named in new[] { blob, _ws.Workspace.Store.GitDir, "'b.txt'", before.ToHex(), "partly restored", safety })
        {
            Assert.Contains(named, e.Message, StringComparison.Ordinal);
        }
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("a1\n", _ws.Read("a.txt"));
        Assert.Equal("b2\n", _ws.Read("b.txt"));

        // The safety snapshot named undoes what was written.
        _ws.Workspace.Restore(GitObjectId.Parse(safety), null);
        Assert.Equal("a2\n", _ws.Read("a.txt"));
    }

    [Fact]
    public void Restore_rewrites_changed_files_deletes_new_ones_and_keeps_ignored_ones()
    {
        _ws.Write(".gitignore", "*.local\n");
        _ws.Write("a.txt", "a1\n");
        _ws.Write("dir/b.txt", "b1\n");
        _ws.Write("gone.txt", "will be deleted by the agent\n");
        var before = Snapshot();

        _ws.Write("a.txt", "a2\n");
        File.Delete(_ws.Path("gone.txt"));
        _ws.Write("created/by/agent.txt", "new\n");
        _ws.Write("settings.local", "ignored: the user's own\n");

        var result = _ws.Workspace.Restore(before, null);

        Assert.Equal("a1\n", _ws.Read("a.txt"));
        Assert.Equal("will be deleted by the agent\n", _ws.Read("gone.txt"));
        Assert.False(_ws.Exists("created"));
        Assert.Equal("ignored: the user's own\n", _ws.Read("settings.local"));
        Assert.Equal(["a.txt", "gone.txt"], result.Written.Order(StringComparer.Ordinal));
        Assert.Equal(["created/by/agent.txt"], result.Deleted);
        Assert.Equal(before.ToHex(), Snapshot().ToHex());

        // The safety snapshot undoes the restore.
        _ws.Workspace.Restore(result.Safety.Tree, null);
        Assert.Equal("a2\n", _ws.Read("a.txt"));
        Assert.Equal("new\n", _ws.Read("created/by/agent.txt"));
        Assert.False(_ws.Exists("gone.txt"));
    }

    [Fact]
    public void Restore_brings_back_modes_symlinks_and_file_directory_swaps()
    {
        File.SetUnixFileMode(_ws.Write("tool.sh", "#!/bin/sh\n"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(_ws.Path("link"), "tool.sh");
        _ws.Write("swap", "was a file\n");
        _ws.Write("dir/inner.txt", "was a directory\n");
        var before = Snapshot();

        File.SetUnixFileMode(_ws.Path("tool.sh"), (UnixFileMode)0b110_100_100);
        File.Delete(_ws.Path("link"));
        _ws.Write("link", "now a regular file\n");
        File.Delete(_ws.Path("swap"));
        _ws.Write("swap/child.txt", "now a directory\n");
        Directory.Delete(_ws.Path("dir"), recursive: true);
        _ws.Write("dir", "now a file\n");

        _ws.Workspace.Restore(before, null);

        Assert.True(File.GetUnixFileMode(_ws.Path("tool.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("tool.sh", new FileInfo(_ws.Path("link")).LinkTarget);
        Assert.Equal("was a file\n", _ws.Read("swap"));
        Assert.Equal("was a directory\n", _ws.Read("dir/inner.txt"));
        Assert.Equal(before.ToHex(), Snapshot().ToHex());
    }

    [Fact]
    public void Revert_touches_only_the_listed_files()
    {
        _ws.Write("a.txt", "a1\n");
        _ws.Write("b.txt", "b1\n");
        _ws.Write("src/c.txt", "c1\n");
        var before = Snapshot();
        _ws.Write("a.txt", "a2\n");
        _ws.Write("b.txt", "b2\n");
        _ws.Write("src/c.txt", "c2\n");
        _ws.Write("src/new.txt", "added since\n");

        var result = _ws.Workspace.Revert(before, ["a.txt", "./src/new.txt"]);

        Assert.Equal("a1\n", _ws.Read("a.txt"));
        Assert.Equal("b2\n", _ws.Read("b.txt"));
        Assert.Equal("c2\n", _ws.Read("src/c.txt"));
        Assert.False(_ws.Exists("src/new.txt"));
        Assert.Equal(["a.txt"], result.Written);
        Assert.Equal(["src/new.txt"], result.Deleted);

        // A directory argument reverts everything below it.
        _ws.Workspace.Revert(before, ["src"]);
        Assert.Equal("c1\n", _ws.Read("src/c.txt"));
        Assert.Equal("b2\n", _ws.Read("b.txt"));
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
        _ws.Write("a.txt", "a1\n");
        var before = Snapshot();
        _ws.Write("a.txt", "a2\n");
        var objectsBefore = _ws.Workspace.Store.EnumerateObjects().Count();

        var e = Assert.Throws<EngineException>(() => _ws.Workspace.Revert(before, [bad]));

        Assert.Equal(EngineError.InvalidPath, e.Error);
        Assert.Contains(bad.Length == 0 ? "empty" : bad, e.Message, StringComparison.Ordinal);
        Assert.Equal("a2\n", _ws.Read("a.txt"));
        Assert.Equal(objectsBefore, _ws.Workspace.Store.EnumerateObjects().Count());
    }

    [Fact]
    public void Restore_to_an_unknown_tree_is_refused()
    {
        _ws.Write("a.txt", "a\n");
        var blob = GitObjectId.Parse(_ws.ListTree(Snapshot().ToHex()).Length == 1
            ? Git.Run(_ws.Root, "hash-object", _ws.Path("a.txt")).Trim()
            : throw new InvalidOperationException());
        var unknown = GitObjectId.Parse(new string('1', 40));
        Assert.Equal(EngineError.UnknownSnapshot, Assert.Throws<EngineException>(() => _ws.Workspace.Restore(unknown, null)).Error);
        // A blob is not a snapshot either.
        Assert.Equal(EngineError.UnknownSnapshot, Assert.Throws<EngineException>(() => _ws.Workspace.Restore(blob, null)).Error);
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
        _ws.Write(".gitignore", "sub\n");
        _ws.Write("kept.txt", "k1\n");
        // The snapshot has sub/file.txt (not yet ignored when taken).
        File.WriteAllText(_ws.Path(".gitignore"), "");
        _ws.Write("sub/file.txt", "inside\n");
        var before = Snapshot();

        // Now sub is an ignored symlink to a directory outside the workspace.
        File.WriteAllText(_ws.Path(".gitignore"), "sub\n");
        Directory.Delete(_ws.Path("sub"), recursive: true);
        File.CreateSymbolicLink(_ws.Path("sub"), outside.Path);
        _ws.Write("kept.txt", "k2\n");

        var e = Assert.Throws<RestoreFailedException>(() => _ws.Workspace.Restore(before, null));
        Assert.Contains("symlink", e.Message, StringComparison.Ordinal);
        Assert.Contains(e.Safety, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
    }
}
