using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>Snapshots through the Linux directory-handle reader (the default here).</summary>
public sealed class SnapshotTestsWithDirectoryHandles() : SnapshotTests(portable: false);

/// <summary>The same snapshot tests through the portable reader other systems use.</summary>
public sealed class SnapshotTestsWithPortableReader() : SnapshotTests(portable: true);

public abstract class SnapshotTests : IDisposable
{
    private readonly bool _portable;
    private readonly WorkspaceFixture _ws;

    protected SnapshotTests(bool portable)
    {
        _portable = portable;
        _ws = new WorkspaceFixture(portable: portable);
    }

    public void Dispose()
    {
        _ws.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Tree_hash_equals_gits_for_the_same_files()
    {
        _ws.Write("README.md", "# hi\n");
        _ws.Write("src/main.c", "int main(void) { return 0; }\n");
        _ws.Write("src/deep/er/file with spaces.txt", "spaces\r\nand crlf\r\n");
        _ws.Write("src/ünïcødé.txt", "utf-8 name\n");
        _ws.Write("-leading-dash", "dash\n");
        _ws.Write("empty", "");
        _ws.Write("no-newline", "last line");
        _ws.Write("a.b", "sorts before directory a\n");
        _ws.Write("a/x", "in a\n");
        Directory.CreateDirectory(_ws.Path("empty-dir/nested"));
        File.SetUnixFileMode(_ws.Write("run.sh", "#!/bin/sh\necho hi\n"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(_ws.Path("link-to-readme"), "README.md");
        File.CreateSymbolicLink(_ws.Path("dangling"), "does/not/exist");
        File.CreateSymbolicLink(_ws.Path("link-to-dir"), "src");

        var ours = _ws.Workspace.Snapshot();

        Git.Run(_ws.Root, "init", "-q");
        Git.Run(_ws.Root, "add", "-A");
        var theirs = Git.Run(_ws.Root, "write-tree").Trim();
        Assert.Equal(theirs, ours.Hash);
        Assert.Equal(13, ours.Files);
        Assert.Empty(ours.Skipped);
    }

    [Fact]
    public void Ignore_rules_select_the_same_files_as_git()
    {
        Git.Run(_ws.Root, "init", "-q");
        _ws.Write(".gitignore", string.Join('\n',
            "# comment", "*.log", "!keep.log", "/build/", "out", "docs/**/*.tmp", "**/cache/", "\\#hash", "trailing-space   ",
            "vendor/*", "!vendor/keep/", "a?c", "[ab]x.txt", "!bx.txt", "dironly/", "*.o", "tmp[0-9]", "") + "\n");
        _ws.Write("sub/.gitignore", "local-only\n!important.o\n/anchored\n");
        File.WriteAllText(System.IO.Path.Combine(_ws.Root, ".git", "info", "exclude"), "excluded-by-info\n");
        string[] files =
        [
            "a.log", "keep.log", "x/y/z.log", "build/a", "sub/build/b", "out", "sub/out/c", "docs/a/b/c.tmp", "docs/c.tmp",
            "x/cache/y", "cache", "#hash", "trailing-space", "vendor/a", "vendor/keep/b", "abc", "ab/c", "ax.txt", "bx.txt",
            "dironly/f", "sub/dironly", "m.o", "sub/important.o", "tmp1", "tmpx", "sub/local-only", "local-only",
            "sub/anchored", "sub/deeper/anchored", "anchored", "excluded-by-info", "sub/excluded-by-info", "plain.txt",
        ];
        foreach (var f in files) _ws.Write(f, f + "\n");

        var ours = _ws.ListPaths(_ws.Workspace.Snapshot().Hash).Order(StringComparer.Ordinal);
        var theirs = Git.Run(_ws.Root, "ls-files", "--others", "--exclude-standard")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Unquote).Order(StringComparer.Ordinal);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Workspace_inside_a_repository_uses_its_ignore_files_and_info_exclude()
    {
        var top = _ws.Root;
        Git.Run(top, "init", "-q");
        _ws.Write(".gitignore", "*.gen\nproj/secret\n");
        File.WriteAllText(System.IO.Path.Combine(top, ".git", "info", "exclude"), "proj/local\n");
        _ws.Write("proj/a.gen", "x");
        _ws.Write("proj/secret", "x");
        _ws.Write("proj/local", "x");
        _ws.Write("proj/kept.txt", "x");
        using var inner = _ws.Open(_ws.Path("proj"));
        var tree = inner.Snapshot();
        var listing = Git.Run(top, "--git-dir", inner.Store.GitDir, "ls-tree", "-r", "--name-only", tree.Hash);
        Assert.Equal("kept.txt\n", listing);
    }

    [Fact]
    public void Nested_repositories_are_included_and_no_git_directory_is_stored()
    {
        Git.Run(_ws.Root, "init", "-q");
        _ws.Write("top.txt", "top\n");
        Directory.CreateDirectory(_ws.Path("nested"));
        Git.Run(_ws.Path("nested"), "init", "-q");
        _ws.Write("nested/inner.txt", "inner\n");
        _ws.Write("nested/.gitignore", "*.bin\n");
        _ws.Write("nested/blob.bin", "ignored by the nested repository's own rules\n");
        var paths = _ws.ListPaths(_ws.Workspace.Snapshot().Hash);
        Assert.Equal(["nested/.gitignore", "nested/inner.txt", "top.txt"], paths);
    }

    [Fact]
    public void Configured_excludes_and_the_data_directory_are_left_out()
    {
        using var inside = new WorkspaceFixture(o => o.Excludes = ["*.secret", "node_modules/"], _portable);
        inside.Write("a.secret", "s");
        inside.Write("node_modules/x/index.js", "x");
        inside.Write("kept.txt", "k");
        Assert.Equal(["kept.txt"], inside.ListPaths(inside.Workspace.Snapshot().Hash));

        // A data directory inside the workspace (e.g. DataDir ./data run from the workspace) is never snapshotted.
        using var temp = new TempDirectory();
        var options = new SnapshotsOptions { DataDir = temp.Combine("data"), WorkspaceRoots = [temp.Path] };
        temp.Write("file.txt", "f");
        using var ws = Workspace.Open(WorkspaceIdentity.RealPath(temp.Path)!, options, null, null, _portable);
        var first = ws.Snapshot();
        var second = ws.Snapshot();
        Assert.Equal(first.Hash, second.Hash);
        Assert.Equal(1, second.Files);
    }

    [Fact]
    public void Files_over_the_size_limit_are_skipped_and_reported()
    {
        using var ws = new WorkspaceFixture(o => o.MaxFileBytes = 1000, _portable);
        ws.Write("small.txt", "small\n");
        ws.Write("logs/huge.log", new string('x', 1001));
        var result = ws.Workspace.Snapshot();
        Assert.Equal([new SkippedPath("logs/huge.log", SkipCause.TooLarge)], result.Skipped);
        Assert.Equal(["small.txt"], ws.ListPaths(result.Hash));
    }

    [Fact]
    public void Unchanged_stat_means_the_file_is_not_read_again()
    {
        _ws.Write("f.txt", "version one\n");
        _ws.AgeAllFiles();
        var mtime = File.GetLastWriteTimeUtc(_ws.Path("f.txt"));
        var first = _ws.Workspace.Snapshot();

        // Same size, same mtime, different bytes: a snapshot that trusts its index does not see it (as git does not).
        File.WriteAllText(_ws.Path("f.txt"), "version two\n");
        File.SetLastWriteTimeUtc(_ws.Path("f.txt"), mtime);
        Assert.Equal(first.Hash, _ws.Workspace.Snapshot().Hash);

        // A new mtime makes it read again.
        File.SetLastWriteTimeUtc(_ws.Path("f.txt"), mtime.AddSeconds(1));
        var third = _ws.Workspace.Snapshot();
        Assert.NotEqual(first.Hash, third.Hash);
        Assert.Equal("version two\n", Git.Run(_ws.Root, "--git-dir", _ws.Workspace.Store.GitDir, "show", third.Hash + ":f.txt"));
    }

    [Fact]
    public void Recently_written_files_are_not_trusted_from_the_index()
    {
        _ws.Write("f.txt", "version one\n");
        var first = _ws.Workspace.Snapshot();
        // Rewritten within the same instant's window, same size: the racy entry forces a re-read.
        var mtime = File.GetLastWriteTimeUtc(_ws.Path("f.txt"));
        File.WriteAllText(_ws.Path("f.txt"), "version two\n");
        File.SetLastWriteTimeUtc(_ws.Path("f.txt"), mtime);
        Assert.NotEqual(first.Hash, _ws.Workspace.Snapshot().Hash);
    }

    [Fact]
    public void Chmod_alone_changes_the_snapshot()
    {
        var path = _ws.Write("tool", "#!/bin/sh\n");
        _ws.AgeAllFiles();
        var first = _ws.Workspace.Snapshot();
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        var second = _ws.Workspace.Snapshot();
        Assert.Equal(["100755 tool"], _ws.ListTree(second.Hash));
        Assert.NotEqual(first.Hash, second.Hash);
    }

    [Fact]
    public void Unreadable_directories_are_skipped_not_fatal()
    {
        _ws.Write("ok.txt", "ok\n");
        var secret = _ws.Write("locked/secret.txt", "s\n");
        File.SetUnixFileMode(_ws.Path("locked"), UnixFileMode.None);
        try
        {
            var result = _ws.Workspace.Snapshot();
            if (CanList(_ws.Path("locked")))
            {
                // As root, permissions do not stop reading: the file is simply stored.
                Assert.Contains("locked/secret.txt", _ws.ListPaths(result.Hash));
            }
            else
            {
                Assert.Equal([new SkippedPath("locked/", SkipCause.Unreadable)], result.Skipped);
                Assert.Equal(["ok.txt"], _ws.ListPaths(result.Hash));
            }
        }
        finally
        {
            File.SetUnixFileMode(_ws.Path("locked"), (UnixFileMode)0b111_101_101);
        }
        Assert.True(File.Exists(secret));
    }

    [Fact]
    public void Changes_lists_added_modified_and_deleted_paths()
    {
        _ws.Write("keep.txt", "k\n");
        _ws.Write("edit.txt", "1\n");
        _ws.Write("gone.txt", "g\n");
        var since = _ws.Workspace.Snapshot();
        _ws.Write("edit.txt", "2\n");
        File.Delete(_ws.Path("gone.txt"));
        _ws.Write("new/file.txt", "n\n");
        var changes = _ws.Workspace.Changes(since.Tree);
        Assert.Equal(since.Tree, changes.Since);
        Assert.Equal(["edit.txt", "gone.txt", "new/file.txt"], changes.Paths);
    }

    [Fact]
    public void Names_with_newlines_and_quotes_are_stored()
    {
        _ws.Write("new\nline.txt", "y\n");
        _ws.Write("quote\"d.txt", "q\n");
        _ws.Write("ok.txt", "z\n");

        var result = _ws.Workspace.Snapshot();

        Git.Run(_ws.Root, "init", "-q");
        Git.Run(_ws.Root, "add", "-A");
        Assert.Equal(Git.Run(_ws.Root, "write-tree").Trim(), result.Hash);
        Assert.Equal(3, result.Files);
    }

    private static bool CanList(string dir)
    {
        try
        {
            _ = Directory.EnumerateFileSystemEntries(dir).ToList();
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Unquote(string path) =>
        path.StartsWith('"') ? System.Text.RegularExpressions.Regex.Unescape(path[1..^1]) : path;
}
