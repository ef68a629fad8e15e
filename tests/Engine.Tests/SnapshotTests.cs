using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>Snapshots through the Linux directory-handle reader (the default here).</summary>
public sealed class SnapshotTestsWithDirectoryHandles() : SnapshotTests(portable: false);

/// <summary>The same snapshot tests through the portable reader other systems use.</summary>
public sealed class SnapshotTestsWithPortableReader() : SnapshotTests(portable: true);

public abstract class SnapshotTests(bool portable) : PerReaderTests(portable)
{
    [Fact]
    public void Tree_hash_equals_gits_for_the_same_files()
    {
        Ws.Write("README.md", "# hi\n");
        Ws.Write("src/main.c", "int main(void) { return 0; }\n");
        Ws.Write("src/deep/er/file with spaces.txt", "spaces\r\nand crlf\r\n");
        Ws.Write("src/ünïcødé.txt", "utf-8 name\n");
        Ws.Write("-leading-dash", "dash\n");
        Ws.Write("empty", "");
        Ws.Write("no-newline", "last line");
        Ws.Write("a.b", "sorts before directory a\n");
        Ws.Write("a/x", "in a\n");
        Directory.CreateDirectory(Ws.Path("empty-dir/nested"));
        File.SetUnixFileMode(Ws.Write("run.sh", "#!/bin/sh\necho hi\n"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Ws.Path("link-to-readme"), "README.md");
        File.CreateSymbolicLink(Ws.Path("dangling"), "does/not/exist");
        File.CreateSymbolicLink(Ws.Path("link-to-dir"), "src");

        var ours = Ws.Workspace.Snapshot();

        Git.Run(Ws.Root, "init", "-q");
        Git.Run(Ws.Root, "add", "-A");
        var theirs = Git.Run(Ws.Root, "write-tree").Trim();
        Assert.Equal(theirs, ours.Hash);
        Assert.Equal(13, ours.Files);
        Assert.Empty(ours.Skipped);
    }

    [Fact]
    public void Ignore_rules_select_the_same_files_as_git()
    {
        Git.Run(Ws.Root, "init", "-q");
        Ws.Write(".gitignore", string.Join('\n',
            "# comment", "*.log", "!keep.log", "/build/", "out", "docs/**/*.tmp", "**/cache/", "\\#hash", "trailing-space   ",
            "vendor/*", "!vendor/keep/", "a?c", "[ab]x.txt", "!bx.txt", "dironly/", "*.o", "tmp[0-9]", "") + "\n");
        Ws.Write("sub/.gitignore", "local-only\n!important.o\n/anchored\n");
        File.WriteAllText(System.IO.Path.Combine(Ws.Root, ".git", "info", "exclude"), "excluded-by-info\n");
        string[] files =
        [
            "a.log", "keep.log", "x/y/z.log", "build/a", "sub/build/b", "out", "sub/out/c", "docs/a/b/c.tmp", "docs/c.tmp",
            "x/cache/y", "cache", "#hash", "trailing-space", "vendor/a", "vendor/keep/b", "abc", "ab/c", "ax.txt", "bx.txt",
            "dironly/f", "sub/dironly", "m.o", "sub/important.o", "tmp1", "tmpx", "sub/local-only", "local-only",
            "sub/anchored", "sub/deeper/anchored", "anchored", "excluded-by-info", "sub/excluded-by-info", "plain.txt",
        ];
        foreach (var f in files) Ws.Write(f, f + "\n");

        var ours = Ws.ListPaths(Ws.Workspace.Snapshot().Hash).Order(StringComparer.Ordinal);
        var theirs = Git.Run(Ws.Root, "ls-files", "--others", "--exclude-standard")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Unquote).Order(StringComparer.Ordinal);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Workspace_inside_a_repository_uses_its_ignore_files_and_info_exclude()
    {
        var top = Ws.Root;
        Git.Run(top, "init", "-q");
        Ws.Write(".gitignore", "*.gen\nproj/secret\n");
        File.WriteAllText(System.IO.Path.Combine(top, ".git", "info", "exclude"), "proj/local\n");
        Ws.Write("proj/a.gen", "x");
        Ws.Write("proj/secret", "x");
        Ws.Write("proj/local", "x");
        Ws.Write("proj/kept.txt", "x");
        using var inner = Ws.Open(Ws.Path("proj"));
        var tree = inner.Snapshot();
        var listing = Git.Run(top, "--git-dir", inner.Store.GitDir, "ls-tree", "-r", "--name-only", tree.Hash);
        Assert.Equal("kept.txt\n", listing);
    }

    [Fact]
    public void Nested_repositories_are_included_and_no_git_directory_is_stored()
    {
        Git.Run(Ws.Root, "init", "-q");
        Ws.Write("top.txt", "top\n");
        Directory.CreateDirectory(Ws.Path("nested"));
        Git.Run(Ws.Path("nested"), "init", "-q");
        Ws.Write("nested/inner.txt", "inner\n");
        Ws.Write("nested/.gitignore", "*.bin\n");
        Ws.Write("nested/blob.bin", "ignored by the nested repository's own rules\n");
        var paths = Ws.ListPaths(Ws.Workspace.Snapshot().Hash);
        Assert.Equal(["nested/.gitignore", "nested/inner.txt", "top.txt"], paths);
    }

    [Fact]
    public void Configured_excludes_and_the_data_directory_are_left_out()
    {
        using var inside = new WorkspaceFixture(o => o.Excludes = ["*.secret", "node_modules/"], Portable);
        inside.Write("a.secret", "s");
        inside.Write("node_modules/x/index.js", "x");
        inside.Write("kept.txt", "k");
        Assert.Equal(["kept.txt"], inside.ListPaths(inside.Workspace.Snapshot().Hash));

        // A data directory inside the workspace (e.g. DataDir ./data run from the workspace) is never snapshotted.
        using var temp = new TempDirectory();
        var options = new SnapshotsOptions { DataDir = temp.Combine("data"), WorkspaceRoots = [temp.Path] };
        temp.Write("file.txt", "f");
        using var ws = Workspace.Open(WorkspaceIdentity.RealPath(temp.Path)!, options, null, null, Portable);
        var first = ws.Snapshot();
        var second = ws.Snapshot();
        Assert.Equal(first.Hash, second.Hash);
        Assert.Equal(1, second.Files);
    }

    [Fact]
    public void Files_over_the_size_limit_are_skipped_and_reported()
    {
        using var ws = new WorkspaceFixture(o => o.MaxFileBytes = 1000, Portable);
        ws.Write("small.txt", "small\n");
        ws.Write("logs/huge.log", new string('x', 1001));
        var result = ws.Workspace.Snapshot();
        Assert.Equal([new SkippedPath("logs/huge.log", SkipCause.TooLarge)], result.Skipped);
        Assert.Equal(["small.txt"], ws.ListPaths(result.Hash));
    }

    [Fact]
    public void Unchanged_stat_means_the_file_is_not_read_again()
    {
        Ws.Write("f.txt", "version one\n");
        Ws.AgeAllFiles();
        var mtime = File.GetLastWriteTimeUtc(Ws.Path("f.txt"));
        var first = Ws.Workspace.Snapshot();
        Assert.Equal(1, first.Read);
        var second = Ws.Workspace.Snapshot();
        Assert.Equal(first.Hash, second.Hash);
        Assert.Equal(0, second.Read);

        // A new stat makes it read again (edits that keep size and mtime: StatFidelityTests).
        File.WriteAllText(Ws.Path("f.txt"), "version two\n");
        File.SetLastWriteTimeUtc(Ws.Path("f.txt"), mtime.AddSeconds(1));
        var third = Ws.Workspace.Snapshot();
        Assert.NotEqual(first.Hash, third.Hash);
        Assert.Equal("version two\n", Git.Run(Ws.Root, "--git-dir", Ws.Workspace.Store.GitDir, "show", third.Hash + ":f.txt"));
    }

    [Fact]
    public void Recently_written_files_are_not_trusted_from_the_index()
    {
        Ws.Write("f.txt", "version one\n");
        var first = Ws.Workspace.Snapshot();
        // Rewritten within the same instant's window, same size: the racy entry forces a re-read.
        var mtime = File.GetLastWriteTimeUtc(Ws.Path("f.txt"));
        File.WriteAllText(Ws.Path("f.txt"), "version two\n");
        File.SetLastWriteTimeUtc(Ws.Path("f.txt"), mtime);
        Assert.NotEqual(first.Hash, Ws.Workspace.Snapshot().Hash);
    }

    [Fact]
    public void Chmod_alone_changes_the_snapshot()
    {
        var path = Ws.Write("tool", "#!/bin/sh\n");
        Ws.AgeAllFiles();
        var first = Ws.Workspace.Snapshot();
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        var second = Ws.Workspace.Snapshot();
        Assert.Equal(["100755 tool"], Ws.ListTree(second.Hash));
        Assert.NotEqual(first.Hash, second.Hash);
    }

    [Fact]
    public void Unreadable_directories_are_skipped_not_fatal()
    {
        Ws.Write("ok.txt", "ok\n");
        var secret = Ws.Write("locked/secret.txt", "s\n");
        File.SetUnixFileMode(Ws.Path("locked"), UnixFileMode.None);
        try
        {
            var result = Ws.Workspace.Snapshot();
            if (CanList(Ws.Path("locked")))
            {
                // As root, permissions do not stop reading: the file is simply stored.
                Assert.Contains("locked/secret.txt", Ws.ListPaths(result.Hash));
            }
            else
            {
                Assert.Equal([new SkippedPath("locked/", SkipCause.Unreadable)], result.Skipped);
                Assert.Equal(["ok.txt"], Ws.ListPaths(result.Hash));
            }
        }
        finally
        {
            File.SetUnixFileMode(Ws.Path("locked"), (UnixFileMode)0b111_101_101);
        }
        Assert.True(File.Exists(secret));
    }

    [Fact]
    public void Changes_lists_added_modified_and_deleted_paths()
    {
        Ws.Write("keep.txt", "k\n");
        Ws.Write("edit.txt", "1\n");
        Ws.Write("gone.txt", "g\n");
        var since = Ws.Workspace.Snapshot();
        Ws.Write("edit.txt", "2\n");
        File.Delete(Ws.Path("gone.txt"));
        Ws.Write("new/file.txt", "n\n");
        var changes = Ws.Workspace.Changes(since.Tree);
        Assert.Equal(since.Tree, changes.Since);
        Assert.Equal(["edit.txt", "gone.txt", "new/file.txt"], changes.Paths);
    }

    [Fact]
    public void Names_with_newlines_and_quotes_are_stored()
    {
        Ws.Write("new\nline.txt", "y\n");
        Ws.Write("quote\"d.txt", "q\n");
        Ws.Write("ok.txt", "z\n");

        var result = Ws.Workspace.Snapshot();

        Git.Run(Ws.Root, "init", "-q");
        Git.Run(Ws.Root, "add", "-A");
        Assert.Equal(Git.Run(Ws.Root, "write-tree").Trim(), result.Hash);
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
