using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// Tracks driven by the file watcher against tracks that walk the tree, both against git itself
/// (<c>git add -A &amp;&amp; git write-tree</c> into a fresh index) on the same working tree after every edit.
/// </summary>
public sealed class ChangeTrackingTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-watch");
    private readonly WatchRegistry _watches = new(new WatchOptions(), NullLogger<WatchRegistry>.Instance);
    private readonly List<Workspace> _opened = [];
    private readonly string _work;
    private readonly string _gitDir;

    public ChangeTrackingTests()
    {
        _work = WorkspaceIdentity.RealPath(Directory.CreateDirectory(_temp.Combine("work")).FullName)!;
        _gitDir = _temp.Combine("git");
        Git.Run(_temp.Path, "init", "-q", "--bare", _gitDir);
    }

    public void Dispose()
    {
        foreach (var workspace in _opened) workspace.Dispose();
        _watches.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Watcher_and_walk_give_gits_tree_over_random_edit_sequences()
    {
        var watched = Open("watched", _watches);
        var walked = Open("walked", null);
        var edits = new RandomEdits(_work, new Random(20261123));
        edits.Seed();
        var steps = new List<string> { "seed" };
        for (var step = 0; step < 80; step++)
        {
            var edit = edits.Next(out var rootIgnoreChanged);
            steps.Add(edit);
            var expected = GitWriteTree();
            var byWatch = watched.Snapshot();
            var byWalk = walked.Snapshot();
            var history = string.Join(" | ", steps.TakeLast(4));
            Assert.True(expected == byWalk.Hash, $"walk differs from git after step {step}: {history}");
            Assert.True(expected == byWatch.Hash, $"watcher differs from git after step {step}: {history} (full walk: {byWatch.FullWalk})");
            Assert.Equal(byWalk.Files, byWatch.Files);
            if (step == 0) Assert.Equal(FullWalkReason.FirstSnapshot, byWatch.FullWalk);
            else if (rootIgnoreChanged) Assert.Equal(FullWalkReason.IgnoreFilesChanged, byWatch.FullWalk);
            else Assert.True(byWatch.FullWalk is null, $"step {step} ({edit}) walked in full: {byWatch.FullWalk}");

            if (edits.WantsSecondEditWithinTheSameTick(out var path))
            {
                // The same file written again at once, same size, same timestamp (a file system's coarse clock).
                var mtime = File.GetLastWriteTimeUtc(path);
                File.WriteAllText(path, new string('z', (int)new FileInfo(path).Length));
                File.SetLastWriteTimeUtc(path, mtime);
                steps.Add("second write within the tick: " + path);
                expected = GitWriteTree();
                Assert.True(expected == watched.Snapshot().Hash, $"watcher missed a second write within one tick: {path}");
                Assert.True(expected == walked.Snapshot().Hash, $"walk missed a second write within one tick: {path}");
            }
        }
        Git.Run(_temp.Path, "--git-dir", watched.Store.GitDir, "fsck", "--strict", "--no-dangling");
    }

    [Fact]
    public async Task Edits_during_a_snapshot_are_seen_by_the_next_one()
    {
        var watched = Open("watched", _watches);
        var walked = Open("walked", null);
        for (var i = 0; i < 300; i++) Write($"d{i % 7}/f{i}.txt", new string('a', 100 + i));
        watched.Snapshot();
        walked.Snapshot();
        for (var round = 0; round < 5; round++)
        {
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(() =>
            {
                var random = new Random(round);
                while (!stop.IsCancellationRequested)
                {
                    var i = random.Next(300);
                    File.WriteAllText(Path.Combine(_work, $"d{i % 7}", $"f{i}.txt"), new string((char)('b' + random.Next(20)), random.Next(1, 400)));
                }
            });
            for (var i = 0; i < 3; i++)
            {
                watched.Snapshot();
                walked.Snapshot();
            }
            stop.Cancel();
            await writer;
            var expected = GitWriteTree();
            Assert.Equal(expected, watched.Snapshot().Hash);
            Assert.Equal(expected, walked.Snapshot().Hash);
        }
    }

    [Fact]
    public void A_queue_overflow_makes_the_next_track_walk_and_says_why_once()
    {
        var logger = new RecordingLogger();
        var workspace = Open("watched", _watches, logger);
        Write("a/one.txt", "1");
        Write("b/two.txt", "2");
        Assert.Equal(FullWalkReason.FirstSnapshot, workspace.Snapshot().FullWalk);
        Write("a/one.txt", "one");
        Assert.Null(workspace.Snapshot().FullWalk);

        // The reader is held while more events arrive than the kernel queues: the kernel reports an overflow.
        var queued = int.Parse(File.ReadAllText("/proc/sys/fs/inotify/max_queued_events").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using (_watches.HoldEvents())
        {
            for (var i = 0; i <= queued; i++) File.WriteAllText(Path.Combine(_work, i % 2 == 0 ? "a" : "b", "churn.txt"), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Write("b/three.txt", "3");

        var afterOverflow = workspace.Snapshot();
        Assert.Equal(FullWalkReason.QueueOverflow, afterOverflow.FullWalk);
        Assert.Equal(GitWriteTree(), afterOverflow.Hash);
        Write("b/three.txt", "three");
        var next = workspace.Snapshot();
        Assert.Null(next.FullWalk);
        Assert.Equal(GitWriteTree(), next.Hash);
        Assert.Single(logger.Entries, e => e.Event == "FullWalk" && e.Message.Contains("(QueueOverflow)", StringComparison.Ordinal));
    }

    [Fact]
    public void Watches_are_released_beyond_max_workspaces_and_taken_back_with_a_full_walk()
    {
        using var watches = new WatchRegistry(new WatchOptions { MaxWorkspaces = 1 }, NullLogger<WatchRegistry>.Instance);
        var otherDir = WorkspaceIdentity.RealPath(Directory.CreateDirectory(_temp.Combine("other")).FullName)!;
        File.WriteAllText(Path.Combine(otherDir, "x.txt"), "x");
        var first = Open("first", watches);
        var other = Open("other", watches, directory: otherDir);
        Write("dir/a.txt", "a");

        first.Snapshot();
        Assert.True(first.WatchedDirectories > 0);
        other.Snapshot();
        Assert.Equal(1, watches.WatchedWorkspaces);
        Assert.Equal(0, first.WatchedDirectories);

        Write("dir/a.txt", "changed while not watched");
        Write("dir/new.txt", "new");
        var back = first.Snapshot();
        Assert.Equal(FullWalkReason.WatchesReleased, back.FullWalk);
        Assert.Equal(GitWriteTree(), back.Hash);
        Assert.True(first.WatchedDirectories > 0);
        Assert.Equal(0, other.WatchedDirectories);
        Write("dir/a.txt", "watched again");
        var watchedAgain = first.Snapshot();
        Assert.Null(watchedAgain.FullWalk);
        Assert.Equal(GitWriteTree(), watchedAgain.Hash);
    }

    [Fact]
    public async Task Watches_of_an_idle_workspace_are_released_and_taken_back()
    {
        // Idle after 2 s: long enough that the watches taken back by the last snapshot are still held when checked,
        // however loaded the machine (at 200 ms a busy CI machine released them again in between).
        using var watches = new WatchRegistry(new WatchOptions { IdleAfter = TimeSpan.FromSeconds(2) }, NullLogger<WatchRegistry>.Instance);
        var workspace = Open("idle", watches);
        Write("dir/a.txt", "a");
        workspace.Snapshot();
        Assert.True(workspace.WatchedDirectories > 0);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (workspace.WatchedDirectories > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(0, workspace.WatchedDirectories);
        Assert.Equal(0, watches.Watches);

        Write("dir/a.txt", "changed while idle");
        var back = workspace.Snapshot();
        Assert.Equal(FullWalkReason.WatchesReleased, back.FullWalk);
        Assert.Equal(GitWriteTree(), back.Hash);
        Assert.True(workspace.WatchedDirectories > 0);
    }

    [Fact]
    public void A_workspace_the_watcher_cannot_cover_falls_back_to_walking_and_says_why_once()
    {
        // A budget of 3 watches for a tree of 6 directories: the limit is reached as it would be at fs.inotify.max_user_watches.
        using var watches = new WatchRegistry(new WatchOptions(), NullLogger.Instance, watchBudget: 3);
        var logger = new RecordingLogger();
        var workspace = Open("limited", watches, logger);
        foreach (var dir in new[] { "a", "b", "c", "a/x", "b/y" }) Write(dir + "/f.txt", dir);

        Assert.Equal(FullWalkReason.FirstSnapshot, workspace.Snapshot().FullWalk);
        Assert.Equal(0, workspace.WatchedDirectories);
        Assert.Equal(0, watches.Watches);
        for (var i = 0; i < 4; i++)
        {
            Write($"b/y/f{i}.txt", "more");
            Write("a/x/f.txt", "edit " + i);
            var result = workspace.Snapshot();
            Assert.Equal(FullWalkReason.WatchLimit, result.FullWalk);
            Assert.Equal(GitWriteTree(), result.Hash);
        }
        Assert.Single(logger.Entries, e => e.Event == "FullWalk" && e.Message.Contains("(WatchLimit)", StringComparison.Ordinal));
    }

    [Fact]
    public void The_portable_reader_walks_every_track_and_agrees_with_git()
    {
        var logger = new RecordingLogger();
        var options = Options("portable");
        var workspace = Workspace.Open(_work, options, logger, _watches, portableReading: true);
        _opened.Add(workspace);
        Write("a/one.txt", "1");
        workspace.Snapshot();
        Write("a/one.txt", "one");
        Write("b/two.txt", "2");
        var second = workspace.Snapshot();
        Assert.Equal(FullWalkReason.WatcherOff, second.FullWalk);
        Assert.Equal(GitWriteTree(), second.Hash);
        Assert.Equal(0, workspace.WatchedDirectories);
    }

    [Fact]
    public void The_index_survives_a_restart_and_is_appended_to_not_rewritten()
    {
        var workspace = Open("restart", null);
        for (var i = 0; i < 2000; i++) Write($"d{i % 40}/f{i}.txt", "content " + i);
        AgeFiles();
        var first = workspace.Snapshot();
        Assert.Equal(2000, first.Read);
        var index = Path.Combine(workspace.Store.GitDir, "agentsnapshots.index");
        var log = index + ".log";
        var baseBefore = File.ReadAllBytes(index);
        var logBefore = new FileInfo(log).Length;

        for (var i = 0; i < 10; i++) Write($"d{i}/f{i}.txt", "edited " + i);
        // Only the edited files: setting a file's mtime changes its ctime, which (as for git) means read it again.
        AgeFiles(Enumerable.Range(0, 10).Select(i => $"d{i}/f{i}.txt"));
        var edited = workspace.Snapshot();
        Assert.Equal(10, edited.Read);
        Assert.Equal(baseBefore, File.ReadAllBytes(index));
        var appended = new FileInfo(log).Length - logBefore;
        Assert.True(appended > 0 && appended < baseBefore.Length / 2, $"appended {appended} bytes to a {baseBefore.Length}-byte index");

        // A new silo (a new Workspace over the same store) reads no file again, even with a torn record at the log's end.
        File.AppendAllText(log, "torn");
        using var restarted = Workspace.Open(_work, workspace.Options);
        var again = restarted.Snapshot();
        Assert.Equal(edited.Hash, again.Hash);
        Assert.Equal(FullWalkReason.FirstSnapshot, again.FullWalk);
        Assert.Equal(0, again.Read);
        Assert.Equal(GitWriteTree(), again.Hash);
    }

    [Fact]
    public void After_a_collection_deleted_what_the_index_names_the_next_snapshot_stores_it_again()
    {
        var workspace = Open("collected", _watches);
        Write("a/one.txt", "1");
        Write("b/two.txt", "2");
        AgeFiles();
        var first = workspace.Snapshot();
        // Nothing is kept (the kept ref is rebuilt to no snapshot): every object goes.
        var collected = StoreCollector.Collect(workspace.Store, [], [], TimeSpan.Zero);
        Assert.True(collected.ObjectsDeleted > 0);

        var after = workspace.Snapshot();
        Assert.Equal(FullWalkReason.ObjectsCollected, after.FullWalk);
        Assert.Equal(first.Hash, after.Hash);
        Git.Run(_temp.Path, "--git-dir", workspace.Store.GitDir, "fsck", "--strict", "--no-dangling", after.Hash);
        Assert.Equal("1", Git.Run(_temp.Path, "--git-dir", workspace.Store.GitDir, "show", after.Hash + ":a/one.txt"));
    }

    private Workspace Open(string name, WatchRegistry? watches, RecordingLogger? logger = null, string? directory = null)
    {
        var workspace = Workspace.Open(directory ?? _work, Options(name), logger, watches, portableReading: false);
        _opened.Add(workspace);
        return workspace;
    }

    private SnapshotsOptions Options(string name) => new() { DataDir = _temp.Combine("data-" + name), WorkspaceRoots = [_temp.Path] };

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_work, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>Gives every file (or those named) one old modification time and waits out the racy window for the ctimes that sets, so no entry is racy (the index trusts them all).</summary>
    private void AgeFiles(IEnumerable<string>? only = null)
    {
        var old = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var files = only?.Select(f => Path.Combine(_work, f)) ?? Directory.EnumerateFiles(_work, "*", SearchOption.AllDirectories);
        foreach (var f in files) File.SetLastWriteTimeUtc(f, old);
        WorkspaceFixture.WaitOutRacyWindow();
    }

    /// <summary>git's tree for the working tree now: a fresh index, <c>git add -A</c>, <c>git write-tree</c>.</summary>
    private string GitWriteTree()
    {
        File.Delete(Path.Combine(_gitDir, "index"));
        Git.Run(_temp.Path, "--git-dir", _gitDir, "--work-tree", _work, "add", "-A");
        return Git.Run(_temp.Path, "--git-dir", _gitDir, "write-tree").Trim();
    }
}
