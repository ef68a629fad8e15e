using System.Diagnostics;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Safety;

/// <summary>Hostile trees through the Linux directory-handle reader (the default here).</summary>
public sealed class HostileTreeTestsWithDirectoryHandles() : HostileTreeTests(portable: false);

/// <summary>The same hostile trees through the portable reader other systems use.</summary>
public sealed class HostileTreeTestsWithPortableReader() : HostileTreeTests(portable: true);

/// <summary>Working trees built to break a walker: every one is handled or reported per file, never a crashed snapshot.</summary>
public abstract class HostileTreeTests(bool portable) : PerReaderTests(portable)
{
    private string GitWriteTree()
    {
        Git.Run(Ws.Root, "init", "-q");
        Git.Run(Ws.Root, "add", "-A");
        return Git.Run(Ws.Root, "write-tree").Trim();
    }

    [Fact]
    public void Names_that_are_not_valid_utf8_are_reported_as_skipped_not_silently_dropped()
    {
        Ws.Write("ok.txt", "ok\n");
        Ws.Write("sub/fine.txt", "fine\n");
        Shell.Run(Ws.Root, """
            printf 'x\n' > "$(printf 'bad-\377\376.txt')"
            mkdir "$(printf 'dir-\351')" && printf 'y\n' > "$(printf 'dir-\351')/inner.txt"
            printf 'z\n' > "sub/$(printf 'caf\351.txt')"
            """);

        var result = Ws.Workspace.Snapshot();

        // The handle reader sees the bytes; the portable one sees what .NET spells (U+FFFD for each bad byte).
        string[] expected = Portable
            ? ["bad-\uFFFD\uFFFD.txt", "dir-\uFFFD/", "sub/caf\uFFFD.txt"]
            : ["bad-\\xff\\xfe.txt", "dir-\\xe9/", "sub/caf\\xe9.txt"];
        Assert.Equal(expected, result.Skipped.Select(s => s.Path));
        Assert.All(result.Skipped, s => Assert.Equal(SkipCause.NotUtf8, s.Cause));
        Assert.Equal(["ok.txt", "sub/fine.txt"], Ws.ListPaths(result.Hash));
    }

    [Fact]
    public void Ignored_invalid_names_are_not_reported()
    {
        Ws.Write(".gitignore", "*.tmp\n");
        Shell.Run(Ws.Root, "printf 'x' > \"$(printf 'junk-\\377.tmp')\"");
        Assert.Empty(Ws.Workspace.Snapshot().Skipped);
    }

    [Fact]
    public void Restore_never_deletes_files_with_invalid_names_nor_their_directory()
    {
        Ws.Write("keep.txt", "k\n");
        var before = GitObjectId.Parse(Ws.Workspace.Snapshot().Hash);
        // The agent adds only/ok.txt; the user has a file no snapshot can hold beside it.
        Ws.Write("only/ok.txt", "added by the agent\n");
        Shell.Run(Ws.Root, "printf 'mine' > \"only/$(printf 'data-\\377')\"");

        var result = Ws.Workspace.Restore(before, null);

        Assert.Equal(["only/ok.txt"], result.Deleted);
        Assert.False(File.Exists(Ws.Path("only/ok.txt")));
        Assert.True(Shell.Exists(Ws.Root, "only/data-\\377"));
        Assert.Equal("mine", Shell.Run(Ws.Root, "cat \"only/$(printf 'data-\\377')\""));
    }

    [Fact]
    public void Symlink_loops_and_links_to_the_root_are_stored_as_links_never_followed()
    {
        Ws.Write("a.txt", "a\n");
        File.CreateSymbolicLink(Ws.Path("loop1"), "loop2");
        File.CreateSymbolicLink(Ws.Path("loop2"), "loop1");
        File.CreateSymbolicLink(Ws.Path("self"), "self");
        File.CreateSymbolicLink(Ws.Path("root"), "/");
        File.CreateSymbolicLink(Ws.Path("up"), "..");
        File.CreateSymbolicLink(Ws.Path("here"), ".");
        Directory.CreateDirectory(Ws.Path("d"));
        File.CreateSymbolicLink(Ws.Path("d/parent"), "..");

        var watch = Stopwatch.StartNew();
        var result = Ws.Workspace.Snapshot();
        watch.Stop();

        Assert.Empty(result.Skipped);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal(
            ["100644 a.txt", "120000 d/parent", "120000 here", "120000 loop1", "120000 loop2", "120000 root", "120000 self", "120000 up"],
            Ws.ListTree(result.Hash));
        Assert.Equal(GitWriteTree(), result.Hash);
    }

    [Fact]
    public void Names_of_255_bytes_and_newlines_hash_like_git()
    {
        var longAscii = new string('n', 255);
        var longUtf8 = new string('é', 127) + "x"; // 255 bytes
        Ws.Write(longAscii, "long\n");
        Ws.Write("dir\nwith newline/" + longUtf8, "long utf-8\n");
        Ws.Write("tab\there", "t\n");

        var result = Ws.Workspace.Snapshot();

        Assert.Empty(result.Skipped);
        Assert.Equal(3, result.Files);
        Assert.Equal(GitWriteTree(), result.Hash);
    }

    [Fact]
    public void Paths_longer_than_path_max_are_reported_not_fatal()
    {
        // 20 levels of 250-byte names: about 5 KiB, beyond PATH_MAX (4096), built one relative cd at a time.
        var level = new string('d', 250);
        Shell.Run(Ws.Root, $"for i in $(seq 1 20); do mkdir {level} && cd {level} || exit 1; done; echo deep > deep.txt");
        Ws.Write("shallow.txt", "s\n");
        var shallowDirs = string.Join('/', Enumerable.Repeat(level, 3));
        Ws.Write(shallowDirs + "/mid.txt", "m\n");

        var result = Ws.Workspace.Snapshot();

        var paths = Ws.ListPaths(result.Hash);
        Assert.Contains("shallow.txt", paths);
        Assert.Contains(shallowDirs + "/mid.txt", paths);
        // The deep file is either stored or its too-long directory is reported; never lost silently, never a crash.
        var deep = string.Join('/', Enumerable.Repeat(level, 20)) + "/deep.txt";
        Assert.True(paths.Contains(deep) || result.Skipped.Any(s => deep.StartsWith(s.Path, StringComparison.Ordinal) && s.Cause == SkipCause.PathTooLong),
            $"skipped: {string.Join(", ", result.Skipped.Select(s => $"{s.Path.Length} {s.Cause}"))}");
    }

    [Fact]
    public async Task Files_that_vanish_or_change_during_the_walk_never_break_a_snapshot()
    {
        for (var i = 0; i < 200; i++) Ws.Write($"churn/f{i:D3}.txt", new string('x', 1000 + i));
        Ws.Write("stable.txt", "stable\n");
        using var stop = new CancellationTokenSource();
        var growing = Ws.Path("growing.log");
        var writers = new[]
        {
            // Delete and recreate files under the walker's feet.
            Task.Run(() =>
            {
                var random = new Random(1);
                while (!stop.IsCancellationRequested)
                {
                    var path = Ws.Path($"churn/f{random.Next(200):D3}.txt");
                    try
                    {
                        if (random.Next(2) == 0) File.Delete(path);
                        else File.WriteAllText(path, new string('y', random.Next(1, 5000)));
                    }
                    catch (IOException)
                    {
                    }
                }
            }),
            // A file appended to without pause: its size changes while it is read (ContentLengthChangedException path).
            Task.Run(() =>
            {
                using var log = new FileStream(growing, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                var line = new byte[4096];
                Array.Fill(line, (byte)'l');
                while (!stop.IsCancellationRequested)
                {
                    log.Write(line);
                    log.Flush();
                }
            }),
        };
        try
        {
            for (var round = 0; round < 15; round++)
            {
                var result = Ws.Workspace.Snapshot();
                var tree = Ws.ListTree(result.Hash);
                Assert.Contains("100644 stable.txt", tree);
                Assert.DoesNotContain(result.Skipped, s => s.Path != "growing.log");
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(writers);
        }
        // Every object written while the tree churned is whole.
        Git.Run(Ws.Root, "--git-dir", Ws.Workspace.Store.GitDir, "fsck", "--strict", "--no-dangling");
    }

    [Fact]
    public void Sparse_files_over_the_limit_are_skipped_without_being_read()
    {
        using (var f = new FileStream(Ws.Path("disk.img"), FileMode.CreateNew))
        {
            f.SetLength(4L << 30);
        }
        Ws.Write("small.txt", "s\n");
        var watch = Stopwatch.StartNew();
        var result = Ws.Workspace.Snapshot();
        Assert.Equal([new SkippedPath("disk.img", SkipCause.TooLarge)], result.Skipped);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");

        // Restore never touches it.
        File.Delete(Ws.Path("small.txt"));
        Ws.Workspace.Restore(GitObjectId.Parse(result.Hash), null);
        Assert.Equal(4L << 30, new FileInfo(Ws.Path("disk.img")).Length);
    }

    [Fact]
    public void A_sparse_file_under_a_raised_limit_is_streamed_in_bounded_memory()
    {
        const long size = 1L << 30;
        using var ws = new WorkspaceFixture(o => o.MaxFileBytes = 2L << 30, Portable);
        using (var f = new FileStream(ws.Path("sparse.img"), FileMode.CreateNew))
        {
            f.SetLength(size);
            f.Position = size / 2;
            f.Write("middle"u8);
        }
        using var process = Process.GetCurrentProcess();
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);

        var watch = Stopwatch.StartNew();
        var result = ws.Workspace.Snapshot();
        watch.Stop();

        var managedAfter = GC.GetTotalMemory(forceFullCollection: false);
        Assert.Empty(result.Skipped);
        var blob = Git.Run(ws.Root, "--git-dir", ws.Workspace.Store.GitDir, "rev-parse", result.Hash + ":sparse.img").Trim();
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Git.Run(ws.Root, "--git-dir", ws.Workspace.Store.GitDir, "cat-file", "-s", blob).Trim());
        Assert.Equal(Git.Run(ws.Root, "hash-object", ws.Path("sparse.img")).Trim(), blob);
        // Streaming: the managed heap does not grow with the file (other tests run beside this one, hence the slack).
        Assert.True(managedAfter - managedBefore < 256L << 20, $"managed heap grew by {(managedAfter - managedBefore) >> 20} MiB");
        TestContext.Current.SendDiagnosticMessage($"1 GiB sparse file stored in {watch.Elapsed.TotalSeconds:F1} s");
    }
}
