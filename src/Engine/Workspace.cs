using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.Snapshotting;
using AgentSnapshots.Engine.Watching;
using AgentSnapshots.Engine.WorkingTree;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Engine;

/// <summary>
/// One workspace directory and its shadow object store: snapshots, changes and restores.
/// Not thread-safe: one writer per workspace (the WorkspaceGrain) calls it. Disposing it releases its file watches.
/// </summary>
public sealed class Workspace : IDisposable
{
    private readonly ILogger _logger;
    private readonly WorkingTreeSnapshotter _snapshotter;
    private readonly bool _portable;
    private readonly SnapshotRefs _refs;

    /// <summary>Cancelled when the workspace is disposed: stops a verification still walking.</summary>
    private readonly CancellationTokenSource _closing = new();

    /// <summary>
    /// Transient trees handed out recently, with when. Collection keeps them for its grace period though no session
    /// recorded them: an identical old tree has an old file time that the grace period alone would not protect.
    /// </summary>
    private readonly Dictionary<GitObjectId, DateTime> _recentTrees = [];

    private Workspace(string directory, ObjectStore store, SnapshotsOptions options, ILogger logger, WatchRegistry? watches, bool portableReading)
    {
        Directory = directory;
        Store = store;
        Options = options;
        _logger = logger;
        _portable = portableReading;
        _refs = new SnapshotRefs(store);
        _snapshotter = new WorkingTreeSnapshotter(directory, store, options, logger, watches, portableReading);
    }

    /// <summary>The canonical working-tree directory.</summary>
    public string Directory { get; }

    public ObjectStore Store { get; }

    public SnapshotsOptions Options { get; }

    /// <summary>The most recent snapshot this object took (a restore's safety snapshot included), with its counts.</summary>
    public SnapshotTaken? LastSnapshot { get; private set; }

    /// <summary>Directories of this workspace the file watcher watches now (0 while it walks in full).</summary>
    public int WatchedDirectories => _snapshotter.WatchedDirectories;

    /// <summary>The transient trees handed out less than <paramref name="grace"/> (plus a minute) ago.</summary>
    public IReadOnlyCollection<GitObjectId> RecentTrees(TimeSpan grace)
    {
        var cutoff = DateTime.UtcNow - grace - TimeSpan.FromMinutes(1);
        lock (_recentTrees)
        {
            foreach (var stale in _recentTrees.Where(t => t.Value < cutoff).Select(t => t.Key).ToList())
            {
                _recentTrees.Remove(stale);
            }
            return [.. _recentTrees.Keys];
        }
    }

    /// <summary>
    /// Opens (creating if needed) the object store of the workspace at canonical <paramref name="directory"/>.
    /// With <paramref name="watches"/> (the silo's watcher), tracks read only what changed since the last snapshot.
    /// </summary>
    public static Workspace Open(string directory, SnapshotsOptions options, ILogger? logger = null, WatchRegistry? watches = null) =>
        Open(directory, options, logger, watches, portableReading: false);

    /// <summary>As <see cref="Open(string, SnapshotsOptions, ILogger?, WatchRegistry?)"/>, the store a cache of <paramref name="packs"/>' backend when it is set.</summary>
    public static Workspace Open(string directory, SnapshotsOptions options, ILogger? logger, WatchRegistry? watches, PackCache? packs) =>
        Open(directory, options, logger, watches, portableReading: false, packs);

    /// <summary>As <see cref="Open(string, SnapshotsOptions, ILogger?, WatchRegistry?)"/>; <paramref name="portableReading"/> reads directories the portable way (tests run both readers).</summary>
    internal static Workspace Open(string directory, SnapshotsOptions options, ILogger? logger, WatchRegistry? watches, bool portableReading, PackCache? packs = null)
    {
        var store = ObjectStore.Open(Path.Combine(options.WorkspacesDirectory, WorkspaceIdentity.IdFor(directory)), packs);
        return new Workspace(directory, store, options, logger ?? NullLogger.Instance, watches, portableReading);
    }

    /// <summary>
    /// Writes a snapshot of the working tree now, to be recorded, and returns its tree hash, file count and skipped
    /// paths. The snapshot is made reachable from the store's ref (<see cref="SnapshotRefs.Keep"/>) before the caller
    /// records it, so <c>git gc</c> run by anyone never loses it; collection rebuilds the ref to what retention keeps.
    /// </summary>
    public SnapshotTaken Snapshot(CancellationToken cancellationToken = default)
    {
        var taken = Take(cancellationToken);
        _refs.Keep(taken.Tree);
        return taken;
    }

    private SnapshotTaken Take(CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            throw new EngineException(EngineError.MissingDirectory,
                $"Workspace directory '{Directory}' no longer exists; recreate it, or track another directory with a new session.");
        }
        using var activity = SnapshotMetrics.ActivitySource.StartActivity("agentsnapshots.snapshot");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        LastSnapshot = _snapshotter.Snapshot(cancellationToken);
        SnapshotMetrics.SnapshotDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        return LastSnapshot;
    }

    /// <summary>
    /// A snapshot handed to a caller without being recorded for any session (a diff against "now"): collection keeps
    /// its tree for the grace period (see <see cref="RecentTrees"/>).
    /// </summary>
    public SnapshotTaken TransientSnapshot(CancellationToken cancellationToken = default)
    {
        var taken = Take(cancellationToken);
        lock (_recentTrees)
        {
            _recentTrees[taken.Tree] = DateTime.UtcNow;
        }
        return taken;
    }

    public void Dispose()
    {
        _closing.Cancel();
        _snapshotter.Dispose();
        _closing.Dispose();
    }

    /// <summary>
    /// Starts a self-check of the file watcher's view: takes what it needs now (call it between tracks, as this
    /// workspace's writer); its <see cref="WatchVerification.Run"/> then walks on any thread while tracks go on.
    /// Null when there is nothing to check (no watcher, or the next track walks in full anyway).
    /// </summary>
    public WatchVerification? StartVerification() => _snapshotter.StartVerification(_closing.Token);

    /// <summary>Its watches (null without a watcher); tests reach them to plant what a verification must find.</summary>
    internal WorkspaceWatch? Watch => _snapshotter.Watch;

    /// <summary>Paths (workspace-relative, '/'-separated) that differ between <paramref name="since"/> and the working tree now.</summary>
    public ChangedPaths Changes(GitObjectId since, CancellationToken cancellationToken = default)
    {
        RequireTree(since);
        var now = Take(cancellationToken).Tree;
        List<string> paths;
        try
        {
            paths = TreeComparer.Compare(Store, since, now, cancellationToken).Select(c => c.Path).ToList();
        }
        catch (StoreObjectException e)
        {
            throw e.NeededBy(Store.GitDir, $"a tree of snapshot {since} or of the working tree now ({now})");
        }
        return new ChangedPaths(since, now, paths);
    }

    /// <summary>
    /// Takes a safety snapshot, then makes the working tree match <paramref name="to"/> for <paramref name="files"/>
    /// (null: every path either snapshot covers). Ignored, skipped and never-snapshotted files are untouched.
    /// </summary>
    public RestoreOutcome Restore(GitObjectId to, IReadOnlyList<string>? files, CancellationToken cancellationToken = default)
    {
        var scope = files?.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();
        RequireTree(to);
        var safety = Snapshot(cancellationToken);
        return new WorkspaceRestorer(Directory, Store, _logger, Options.Excludes, _portable).Restore(to, safety, scope, cancellationToken);
    }

    /// <summary>Restores only <paramref name="files"/> (files or directories, workspace-relative); a file absent from <paramref name="to"/> is deleted.</summary>
    public RestoreOutcome Revert(GitObjectId to, IReadOnlyList<string> files, CancellationToken cancellationToken = default) =>
        Restore(to, files ?? throw new ArgumentNullException(nameof(files)), cancellationToken);

    /// <summary>Whether the store holds tree <paramref name="id"/>.</summary>
    public bool HasTree(GitObjectId id) => Store.Contains(id) && Store.ReadHeader(id).Type == "tree";

    private void RequireTree(GitObjectId id)
    {
        if (!HasTree(id))
        {
            throw new EngineException(EngineError.UnknownSnapshot,
                $"Snapshot {id} is not in the store of workspace '{Directory}'; list this session's snapshots with 'history'.");
        }
    }
}
