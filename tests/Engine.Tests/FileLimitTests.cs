using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Engine;

public sealed class FileLimitTestsWithDirectoryHandles() : FileLimitTests(portable: false);

public sealed class FileLimitTestsWithPortableReader() : FileLimitTests(portable: true);

/// <summary>
/// <c>Snapshots:MaxFilesPerWorkspace</c> in the snapshotter: a walk that finds more files stops before reading the one
/// over and fails with WorkspaceTooBroad, recording nothing; ignored files do not count; AllowBroadWorkspaces lifts it;
/// a track driven by the watcher that grows the tree over it fails too, and the next track after a failure is right.
/// </summary>
public abstract class FileLimitTests(bool portable) : IDisposable
{
    private const int Limit = 10;

    private readonly TempDirectory _temp = new("as-limit");
    private readonly WatchRegistry _watches = new(new WatchOptions(), NullLogger<WatchRegistry>.Instance);
    private readonly List<Workspace> _opened = [];

    public void Dispose()
    {
        foreach (var workspace in _opened) workspace.Dispose();
        _watches.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void A_walk_finding_more_files_than_the_limit_stops_and_records_nothing()
    {
        var work = NewWork("over");
        for (var i = 0; i < 3 * Limit; i++) Write(work, $"d{i % 4}/f{i:D2}.txt", "distinct content " + i);
        var workspace = Open(work, o => o.MaxFilesPerWorkspace = Limit);

        var refused = Assert.Throws<EngineException>(() => workspace.Snapshot());

        Assert.Equal(EngineError.WorkspaceTooBroad, refused.Error);
        Assert.True(refused.IsBadInput);
        Assert.Contains($"more than {Limit} files", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Snapshots:MaxFilesPerWorkspace", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Snapshots:AllowBroadWorkspaces", refused.Message, StringComparison.Ordinal);
        Assert.Null(workspace.LastSnapshot);
        // Stopped: no file past the limit was read, no tree written, no index recorded.
        Assert.InRange(Objects(workspace, "blob"), 0, Limit);
        Assert.Equal(0, Objects(workspace, "tree"));
        Assert.Empty(Directory.EnumerateFiles(workspace.Store.GitDir, "agentsnapshots.index*"));
    }

    [Fact]
    public void Ignored_files_do_not_count_and_a_tree_at_the_limit_is_taken_whole()
    {
        var work = NewWork("at");
        Write(work, ".gitignore", "node_modules/\n*.log\n");
        for (var i = 0; i < Limit - 1; i++) Write(work, $"src/f{i}.txt", "file " + i);
        for (var i = 0; i < 5 * Limit; i++) Write(work, $"node_modules/p{i}/index.js", "ignored " + i);
        for (var i = 0; i < Limit; i++) Write(work, $"logs/run{i}.log", "ignored " + i);
        var workspace = Open(work, o => o.MaxFilesPerWorkspace = Limit);

        var taken = workspace.Snapshot();

        Assert.Equal(Limit, taken.Files);
        Assert.Equal(Git.WriteTreeOf(work), taken.Tree.ToString());
    }

    [Fact]
    public void AllowBroadWorkspaces_lifts_the_limit()
    {
        var work = NewWork("allowed");
        for (var i = 0; i < 2 * Limit; i++) Write(work, $"f{i}.txt", "file " + i);
        var workspace = Open(work, o =>
        {
            o.MaxFilesPerWorkspace = Limit;
            o.AllowBroadWorkspaces = true;
        });

        var taken = workspace.Snapshot();

        Assert.Equal(2 * Limit, taken.Files);
        Assert.Equal(Git.WriteTreeOf(work), taken.Tree.ToString());
    }

    [Fact]
    public void A_track_that_grows_the_tree_over_the_limit_fails_and_the_next_one_is_right()
    {
        var work = NewWork("grows");
        for (var i = 0; i < Limit; i++) Write(work, $"a/f{i}.txt", "file " + i);
        var workspace = Open(work, o => o.MaxFilesPerWorkspace = Limit, _watches);
        var first = workspace.Snapshot();
        Assert.Equal(Limit, first.Files);
        Write(work, "a/f0.txt", "changed");
        var watched = workspace.Snapshot();
        // With the watcher (directory handles on Linux) the track reads only what changed; the portable reader walks.
        Assert.Equal(portable ? FullWalkReason.WatcherOff : null, watched.FullWalk);

        // One file more, and a new directory of them: over the limit, whichever way the track reads the change.
        Write(work, "b/new0.txt", "new");
        Write(work, "b/new1.txt", "new");
        var refused = Assert.Throws<EngineException>(() => workspace.Snapshot());
        Assert.Equal(EngineError.WorkspaceTooBroad, refused.Error);
        Assert.Same(watched, workspace.LastSnapshot);

        Directory.Delete(Path.Combine(work, "b"), recursive: true);
        File.Delete(Path.Combine(work, "a", "f9.txt"));
        Write(work, "a/f1.txt", "changed too");
        var after = workspace.Snapshot();
        Assert.Equal(Limit - 1, after.Files);
        Assert.Equal(Git.WriteTreeOf(work), after.Tree.ToString());
        Assert.Equal(FullWalkReason.PreviousTrackFailed, after.FullWalk);

        // The walk after the failure took the watches back: the next change is read alone again.
        Write(work, "a/f2.txt", "changed again");
        var next = workspace.Snapshot();
        Assert.Equal(Git.WriteTreeOf(work), next.Tree.ToString());
        Assert.Equal(portable ? FullWalkReason.WatcherOff : null, next.FullWalk);
    }

    [Fact]
    public void A_new_workspace_object_after_a_refusal_starts_from_the_last_recorded_snapshot()
    {
        var work = NewWork("reopened");
        for (var i = 0; i < Limit; i++) Write(work, $"f{i}.txt", "file " + i);
        var options = Options("reopened", o => o.MaxFilesPerWorkspace = Limit);
        var workspace = Open(work, options);
        var recorded = workspace.Snapshot();
        Write(work, "one-more.txt", "over");
        Assert.Equal(EngineError.WorkspaceTooBroad, Assert.Throws<EngineException>(() => workspace.Snapshot()).Error);

        // Raised (a silo restarted with a new setting): the same store, the file over now taken.
        options.MaxFilesPerWorkspace = Limit + 1;
        var reopened = Open(work, options);
        var taken = reopened.Snapshot();
        Assert.Equal(Limit + 1, taken.Files);
        Assert.NotEqual(recorded.Tree, taken.Tree);
        Assert.Equal(Git.WriteTreeOf(work), taken.Tree.ToString());
    }

    private string NewWork(string name) =>
        WorkspaceIdentity.RealPath(Directory.CreateDirectory(_temp.Combine("work-" + name)).FullName)!;

    private SnapshotsOptions Options(string name, Action<SnapshotsOptions> configure)
    {
        var options = new SnapshotsOptions { DataDir = _temp.Combine("data-" + name), WorkspaceRoots = [_temp.Path] };
        configure(options);
        return options;
    }

    private Workspace Open(string work, Action<SnapshotsOptions> configure, WatchRegistry? watches = null) =>
        Open(work, Options(Path.GetFileName(work), configure), watches);

    private Workspace Open(string work, SnapshotsOptions options, WatchRegistry? watches = null)
    {
        var workspace = Workspace.Open(work, options, null, watches, portable);
        _opened.Add(workspace);
        return workspace;
    }

    private static void Write(string work, string relative, string text)
    {
        var full = Path.Combine(work, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    /// <summary>Objects of <paramref name="type"/> in the workspace's store, as git counts them.</summary>
    private int Objects(Workspace workspace, string type) =>
        Git.Run(_temp.Path, "--git-dir", workspace.Store.GitDir, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Count(t => t == type);
}
