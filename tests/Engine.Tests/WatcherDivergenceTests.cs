using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// Places where a track driven by the file watcher could see the working tree otherwise than a walk does, each
/// reduced to its few steps: after every step the watched workspace, a walked one (watcher off) and git itself
/// (<c>git add -A &amp;&amp; git write-tree</c> into a fresh index) must give the same tree.
/// </summary>
public sealed class WatcherDivergenceTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-diverge");
    private readonly WatchRegistry _watches = new(new WatchOptions(), NullLogger<WatchRegistry>.Instance);
    private readonly string _work;
    private readonly Workspace _watched;
    private readonly Workspace _walked;

    public WatcherDivergenceTests()
    {
        _work = WorkspaceIdentity.RealPath(Directory.CreateDirectory(_temp.Combine("work")).FullName)!;
        _watched = Workspace.Open(_work, Options("watched"), null, _watches, portableReading: false);
        _walked = Workspace.Open(_work, Options("walked"), null, null, portableReading: false);
    }

    public void Dispose()
    {
        _watched.Dispose();
        _walked.Dispose();
        _watches.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void A_new_file_beside_a_root_gitignore_rewrite_is_in_the_snapshot()
    {
        // Issue 25, miss 1: the track applied the new file, then handed over to a full walk (the root's rules changed)
        // that trusted the half-updated state's tree of n12, which lacked the file.
        Write("x.txt", "x");
        Write(".gitignore", "rewritten 1\n");
        Write("n12/inner.txt", "inner");
        TrackAll("first");
        Write("x.txt", "x edited");
        TrackAll("edit x.txt");
        Write("n12/src2", "new");
        Write(".gitignore", "rewritten 2\n");
        var watched = TrackAll("n12/src2 created and the root .gitignore rewritten");
        Assert.Equal(FullWalkReason.IgnoreFilesChanged, watched.FullWalk);
        Assert.Contains("n12/src2", Paths(watched));
    }

    [Fact]
    public void Nested_gitignore_rewrites_compose_with_other_events_of_the_same_batch()
    {
        Write("a/.gitignore", "*.log\n");
        Write("a/keep.txt", "k");
        Write("a/b/.gitignore", "");
        Write("a/b/c/deep.txt", "d");
        Write("side/s.txt", "s");
        TrackAll("first");
        // One batch: both nested ignore files rewritten, files created above, beside and below them.
        Write("a/b/c/new.txt", "new below");
        Write("a/b/c/trace.log", "ignored by a/.gitignore");
        Write("a/new.log", "ignored");
        Write("side/new.txt", "beside");
        Write("a/b/.gitignore", "c/deep.txt\n");
        Write("a/.gitignore", "*.tmp\n");
        Write("a/x.tmp", "ignored now");
        var watched = TrackAll("two nested .gitignore files rewritten among other changes");
        Assert.Null(watched.FullWalk);
        // And each level again, reversed.
        Write("a/.gitignore", "*.log\n");
        Write("a/b/c/deep.txt", "edited while ignored");
        Write("a/b/.gitignore", "");
        TrackAll("nested .gitignore files restored");
        Write("a/b/c/after.txt", "watched after the re-walk");
        Assert.Null(TrackAll("a file below the re-walked subtree").FullWalk);
    }

    [Fact]
    public void A_write_through_a_second_hard_link_inside_the_workspace_changes_both_names()
    {
        // Issue 25: inotify names only the link the writer used, so the other name kept its old blob.
        Write("a", "aaaa");
        Directory.CreateDirectory(Path.Combine(_work, "sub"));
        Shell.Run(_work, "ln a sub/b");
        TrackAll("a and its second link sub/b");
        Write("sub/b", "bbbb");
        Assert.Null(TrackAll("written through sub/b").FullWalk);
        Write("a", "cccc");
        TrackAll("written through a");
        // A link made after a track: only the new name raises an event; the write through it must still reach a.
        Shell.Run(_work, "ln a c");
        Write("c", "dddd");
        TrackAll("a third link c made and written through");
        // Renamed, moved away and removed: the other names follow.
        Shell.Run(_work, "mv sub moved");
        Write("moved/b", "eeee");
        TrackAll("sub moved, written through moved/b");
        File.Delete(Path.Combine(_work, "c"));
        File.Delete(Path.Combine(_work, "moved", "b"));
        Write("a", "ffff");
        Assert.Null(TrackAll("the other links removed, a written").FullWalk);
    }

    [Fact]
    public void A_write_through_a_hard_link_outside_the_workspace_is_seen_by_the_watcher()
    {
        // No event at all: the writer's name is in no watched directory.
        Write("a", "aaaa");
        Write("deep/x", "xxxx");
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(outside);
        Shell.Run(outside, $"ln '{_work}/a' a-link && ln '{_work}/deep/x' x-link");
        TrackAll("a and deep/x with links outside the workspace");
        File.WriteAllText(Path.Combine(outside, "a-link"), "bbbb");
        Assert.Null(TrackAll("written through the outside link of a").FullWalk);
        File.WriteAllText(Path.Combine(outside, "x-link"), "yyyy, longer");
        TrackAll("written through the outside link of deep/x");
    }

    [Fact]
    public void A_gitignore_rewrite_that_keeps_its_size_and_time_is_seen_by_the_watcher()
    {
        Write("a/.gitignore", "one.txt\n");
        Write("a/one.txt", "1");
        Write("a/two.txt", "2");
        var ignore = Path.Combine(_work, "a", ".gitignore");
        // An old time: the parse is trusted by its stat (a fresh one is racy, so parsed again anyway).
        var mtime = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(ignore, mtime);
        TrackAll("first");
        File.WriteAllText(ignore, "two.txt\n");
        File.SetLastWriteTimeUtc(ignore, mtime);
        var expected = GitTree();
        // Only the watcher can see this one (its stat is unchanged); a walk relies on the stat comparison.
        Assert.Equal(expected, _watched.Snapshot().Hash);
    }

    [Fact]
    public void A_directory_recreated_while_its_parents_listing_is_read_again_is_walked_and_watched()
    {
        Write("p/d/a.txt", "a");
        Write("p/other.txt", "o");
        TrackAll("first");
        Directory.Delete(Path.Combine(_work, "p", "d"), recursive: true);
        Write("p/d/b.txt", "b");
        // More names than the watcher keeps per directory: p's listing is read again, without names.
        for (var i = 0; i <= PendingDirectory.MaxNames; i++)
        {
            var churn = Path.Combine(_work, "p", "churn" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.WriteAllText(churn, "");
            File.Delete(churn);
        }
        TrackAll("p/d deleted and re-created among more names than the watcher keeps");
        Write("p/d/c.txt", "c");
        Assert.Null(TrackAll("a file in the re-created directory").FullWalk);
    }

    [Fact]
    public void Directories_deleted_and_recreated_again_and_again_stay_watched()
    {
        Write("d/e/a.txt", "a");
        TrackAll("first");
        for (var round = 0; round < 5; round++)
        {
            var n = round.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Directory.Delete(Path.Combine(_work, "d"), recursive: true);
            Write("d/e/f" + n + ".txt", n);
            if (round % 2 == 0) Write("d/g/h.txt", n);
            TrackAll("d re-created, round " + n);
            Write("d/e/later" + n + ".txt", "after the re-walk");
            Assert.Null(TrackAll("a file in the re-created directory, round " + n).FullWalk);
        }
    }

    [Fact]
    public void Directory_and_file_swaps_in_one_batch()
    {
        Write("swap/a.txt", "a");
        Write("swap/deep/b.txt", "b");
        Write("file", "a file");
        TrackAll("first");
        Directory.Delete(Path.Combine(_work, "swap"), recursive: true);
        Write("swap", "now a file");
        File.Delete(Path.Combine(_work, "file"));
        Write("file/inner/c.txt", "now a directory");
        TrackAll("a directory became a file and a file a directory");
        Write("file/inner/d.txt", "watched");
        File.Delete(Path.Combine(_work, "swap"));
        Write("swap/back.txt", "a directory again");
        Assert.Null(TrackAll("swapped back").FullWalk);
    }

    [Fact]
    public void Renames_within_into_and_out_of_the_tree()
    {
        var outside = Directory.CreateDirectory(_temp.Combine("outside")).FullName;
        Write("a/b/one.txt", "1");
        Write("a/b/c/two.txt", "2");
        Write("gone/x.txt", "x");
        File.WriteAllText(Path.Combine(outside, "kept.txt"), "k");
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllText(Path.Combine(outside, "sub", "s.txt"), "s");
        TrackAll("first");

        // Within: a subtree moved deeper, then written to at its new place; out: moved away; in: moved here.
        Directory.CreateDirectory(Path.Combine(_work, "z"));
        Directory.Move(Path.Combine(_work, "a", "b"), Path.Combine(_work, "z", "b2"));
        Write("z/b2/c/three.txt", "3");
        Directory.Move(Path.Combine(_work, "gone"), Path.Combine(_temp.Path, "gone-outside"));
        Directory.Move(outside, Path.Combine(_work, "in"));
        File.Move(Path.Combine(_work, "z", "b2", "one.txt"), Path.Combine(_work, "a", "one-moved.txt"));
        TrackAll("renames within, out of and into the tree");

        // Every moved directory is watched at its new place, and nothing moved away is.
        Write("z/b2/c/four.txt", "4");
        Write("in/sub/t.txt", "t");
        File.WriteAllText(Path.Combine(_temp.Path, "gone-outside", "y.txt"), "outside");
        Assert.Null(TrackAll("writes after the renames").FullWalk);
        // Moved back and forth before one track.
        Directory.Move(Path.Combine(_work, "z", "b2"), Path.Combine(_work, "b3"));
        Directory.Move(Path.Combine(_work, "b3"), Path.Combine(_work, "z", "b2"));
        Write("z/b2/c/five.txt", "5");
        Assert.Null(TrackAll("moved away and back").FullWalk);
        Write("z/b2/c/six.txt", "6");
        Assert.Null(TrackAll("a write after moving back").FullWalk);
    }

    [Fact]
    public void A_queue_overflow_during_ignore_changes_walks_and_agrees_with_git()
    {
        Write(".gitignore", "*.log\n");
        Write("a/.gitignore", "");
        Write("a/x.txt", "x");
        Write("b/y.log", "ignored");
        TrackAll("first");
        var queued = int.Parse(File.ReadAllText("/proc/sys/fs/inotify/max_queued_events").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using (_watches.HoldEvents())
        {
            Write(".gitignore", "*.tmp\n");
            Write("a/.gitignore", "x.txt\n");
            Write("a/new.txt", "new");
            for (var i = 0; i <= queued; i++) File.WriteAllText(Path.Combine(_work, "b", "churn.tmp"), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Equal(FullWalkReason.QueueOverflow, TrackAll("ignore files rewritten while the queue overflowed").FullWalk);
        Write("a/.gitignore", "");
        Write("b/z.log", "not ignored now");
        Assert.Null(TrackAll("after the overflow").FullWalk);
    }

    [Fact]
    public void Info_exclude_edits_are_honoured_on_both_paths()
    {
        Git.Run(_work, "init", "-q");
        Write("a/x.txt", "x");
        Write("a/y.dat", "y");
        Write("b/z.txt", "z");
        var exclude = Path.Combine(_work, ".git", "info", "exclude");
        Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
        File.WriteAllText(exclude, "*.dat\n");
        TrackAll("first");
        File.WriteAllText(exclude, "b/\n");
        Write("a/new.txt", "new");
        Assert.Equal(FullWalkReason.IgnoreFilesChanged, TrackAll("info/exclude rewritten with a new file").FullWalk);
        Write("b/ignored.txt", "ignored");
        Write("a/w.txt", "w");
        Assert.Null(TrackAll("after the exclude edit").FullWalk);
        File.WriteAllText(exclude, "");
        Assert.Equal(FullWalkReason.IgnoreFilesChanged, TrackAll("info/exclude emptied").FullWalk);
    }

    [Fact]
    public async Task Directory_churn_during_snapshots_is_seen_by_the_next_one()
    {
        for (var i = 0; i < 8; i++) Write($"d{i}/f.txt", "f");
        TrackAll("first");
        for (var round = 0; round < 4; round++)
        {
            using var stop = new CancellationTokenSource();
            var seed = round;
            var writer = Task.Run(() =>
            {
                var random = new Random(seed);
                while (!stop.IsCancellationRequested)
                {
                    var d = Path.Combine(_work, "d" + random.Next(8).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    var sub = Path.Combine(d, "s" + random.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    switch (random.Next(4))
                    {
                        case 0:
                            Directory.CreateDirectory(sub);
                            File.WriteAllText(Path.Combine(sub, "n.txt"), random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
                            break;
                        case 1:
                            if (Directory.Exists(sub)) Directory.Delete(sub, recursive: true);
                            break;
                        case 2:
                            var to = Path.Combine(_work, "d" + random.Next(8).ToString(System.Globalization.CultureInfo.InvariantCulture), "m" + random.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture));
                            if (Directory.Exists(sub) && !Directory.Exists(to)) Directory.Move(sub, to);
                            break;
                        default:
                            File.WriteAllText(Path.Combine(d, "f.txt"), random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
                            break;
                    }
                }
            });
            for (var i = 0; i < 3; i++)
            {
                _watched.Snapshot();
                _walked.Snapshot();
            }
            stop.Cancel();
            await writer;
            TrackAll("after churn round " + seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Write("d0/after.txt", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            TrackAll("a write after churn round " + seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Tracks both workspaces; each must equal git's tree of the working tree now. Returns the watched one's snapshot.</summary>
    private SnapshotTaken TrackAll(string step)
    {
        var expected = GitTree();
        var walked = _walked.Snapshot();
        var watched = _watched.Snapshot();
        Assert.True(expected == walked.Hash, $"the walk differs from git after: {step}");
        Assert.True(expected == watched.Hash, $"the watcher's track differs from git after: {step} (full walk: {watched.FullWalk?.ToString() ?? "no"})");
        return watched;
    }

    /// <summary>
    /// git's tree of the working tree now, from a fresh index: in the working tree's own repository when it is one (so
    /// its info/exclude applies), otherwise in a new one.
    /// </summary>
    private string GitTree()
    {
        var ownGitDir = Path.Combine(_work, ".git");
        if (!Directory.Exists(ownGitDir)) return Git.WriteTreeOf(_work);
        File.Delete(Path.Combine(ownGitDir, "index"));
        Git.Run(_work, "add", "-A");
        return Git.Run(_work, "write-tree").Trim();
    }

    private string[] Paths(SnapshotTaken taken) =>
        Git.Run(_temp.Path, "--git-dir", _watched.Store.GitDir, "ls-tree", "-r", "--name-only", "--full-tree", taken.Hash)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private SnapshotsOptions Options(string name) => new() { DataDir = _temp.Combine("data-" + name), WorkspaceRoots = [_temp.Path] };

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_work, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
