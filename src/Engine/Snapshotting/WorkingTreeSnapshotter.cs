using System.Diagnostics;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Ignore;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.Watching;
using AgentSnapshots.Engine.WorkingTree;
using AgentSnapshots.Engine.WorkingTree.Reading;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine.Snapshotting;

/// <summary>
/// Snapshots one working tree again and again, keeping what the last snapshot saw (<see cref="DirectoryState"/>,
/// persisted in the <see cref="SnapshotIndex"/>). When the file watcher vouches for everything since the last
/// snapshot, a track applies only the changes it reported (<see cref="TreeUpdate"/>); otherwise it walks the whole
/// tree (<see cref="TreeWalk"/>), re-reading only files whose stat changed, and logs why (once per cause).
/// Ignore rules are honoured, .git directories never entered, symlinks stored as links, the executable bit kept,
/// oversized or unreadable files skipped and reported. Not thread-safe: one workspace's single writer calls it.
/// </summary>
internal sealed class WorkingTreeSnapshotter : IDisposable
{
    private readonly string _root;
    private readonly ObjectStore _store;
    private readonly SnapshotsOptions _options;
    private readonly ILogger _logger;
    private readonly bool _portable;
    private readonly WorkspaceWatch? _watch;
    private readonly string? _dataDirectory;
    private SnapshotIndex? _index;
    private DirectoryState? _state;
    private string _marker = "";
    private string? _aboveStamp;
    private IgnoreRules? _aboveRules;
    private (ulong Device, ulong Inode) _rootIdentity;
    private bool _tracked;
    private FullWalkReason _untracked = FullWalkReason.FirstSnapshot;
    private FullWalkReason? _lastLogged;
    private GitObjectId? _emptyTree;

    public WorkingTreeSnapshotter(string root, ObjectStore store, SnapshotsOptions options, ILogger logger, WatchRegistry? watches, bool portable)
    {
        _root = root;
        _store = store;
        _options = options;
        _logger = logger;
        _portable = portable;
        _watch = watches is { Enabled: true } && !portable && OperatingSystem.IsLinux() ? watches.Open(root) : null;
        var dataDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.DataDir));
        var rootPrefix = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        _dataDirectory = dataDir.StartsWith(rootPrefix, StringComparison.Ordinal) ? dataDir[rootPrefix.Length..].Replace(Path.DirectorySeparatorChar, '/') : null;
    }

    /// <summary>Directories watched for this workspace now (0 when it walks in full).</summary>
    public int WatchedDirectories => _watch?.Count ?? 0;

    /// <summary>Its watches (null without a watcher); tests reach them to plant what a verification must find.</summary>
    internal WorkspaceWatch? Watch => _watch;

    public SnapshotTaken Snapshot(CancellationToken cancellationToken)
    {
        var startUtc = DateTime.UtcNow;
        var started = Stopwatch.GetTimestamp();
        _index ??= SnapshotIndex.Load(_store, out _state, out _marker);
        var marker = CollectionMarker.Read(_store);
        var aboveStamp = WorkspaceIgnoreRules.StampAbove(_root);
        using var rootDirectory = WorkingDirectory.OpenRoot(_root, _portable);
        var rootStat = rootDirectory.StatSelf();
        _watch?.BeginTrack();
        try
        {
            Dictionary<int, PendingDirectory> pending = [];
            var reason =
                !_tracked || _state is null ? _untracked
                : marker != _marker ? FullWalkReason.ObjectsCollected
                : aboveStamp != _aboveStamp ? FullWalkReason.IgnoreFilesChanged
                : (rootStat.Device, rootStat.Inode) != _rootIdentity ? FullWalkReason.RootReplaced
                : _watch is null ? FullWalkReason.WatcherOff
                : !_watch.TryTakeChanges(out pending, out var lost) ? lost
                : (FullWalkReason?)null;

            var read = 0;
            if (reason is null)
            {
                var walk = new TreeWalk(_store, _options, _logger, _root, _dataDirectory, verify: false, _watch, startUtc, cancellationToken);
                var builder = new TreeBuilder(_store, _watch, rewriteAll: false);
                reason = new TreeUpdate(walk, builder, _watch!, _dataDirectory).Apply(rootDirectory, _state!, pending);
                if (reason is null) _lastLogged = null;
                // New directories were watched as they were walked: if one could not be, the next track walks in full.
                if (!_watch!.FinishWalk(out var failure) && failure is { } failed) LogWhy(failed);
                if (reason is null && _state!.FileCount > WorkspaceFileLimit.For(_options))
                {
                    throw WorkspaceFileLimit.Exceeded(_root, WorkspaceFileLimit.For(_options));
                }
                // Recorded even when a full walk must follow: what it applied is true, and the walk's changes build on it.
                _index.Record(_state!, builder.Changes, marker, markerChanged: false);
                read = walk.Read;
            }
            if (reason is { } why)
            {
                read += WalkFully(why, rootDirectory, marker, aboveStamp, startUtc, cancellationToken);
            }
            _rootIdentity = (rootStat.Device, rootStat.Inode);
            _tracked = true;

            var tree = _state!.Tree ?? (_emptyTree ??= _store.WriteTree([]));
            var skipped = Skipped(_state);
            var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            EngineLog.SnapshotTaken(_logger, tree, _root, _state.FileCount, read, skipped.Count, elapsedMs);
            return new SnapshotTaken(tree, _state.FileCount, skipped) { FullWalk = reason, Read = read };
        }
        catch (Exception)
        {
            Forget();
            throw;
        }
        finally
        {
            _watch?.EndTrack();
        }
    }

    public void Dispose() => _watch?.Dispose();

    /// <summary>
    /// Starts a verification of the watcher's view (<see cref="WatchVerification"/>); null when the next track walks in
    /// full anyway (no watcher, nothing tracked yet, watches lost). Called between tracks, by the workspace's writer.
    /// </summary>
    public WatchVerification? StartVerification(CancellationToken stopping) =>
        _watch is null || !_tracked || _state is null || _aboveStamp is null ? null
        : WatchVerification.Start(new VerificationTarget(_root, _options, _logger, _watch, _dataDirectory, _aboveStamp, _rootIdentity), _state, stopping);

    /// <summary>
    /// After a failed track (too many files, cancelled, an error), forgets what this object saw: a track driven by the
    /// watcher may have changed the state part-way, and a walk may have watched directories of a state now thrown away.
    /// The next track loads the last recorded index (never written by a failed track) and walks in full.
    /// </summary>
    private void Forget()
    {
        _index = null;
        _state = null;
        _tracked = false;
        _untracked = FullWalkReason.PreviousTrackFailed;
        _watch?.Abandon();
    }

    /// <summary>Walks the whole tree against the previous state, watching it when the watcher can; returns the files read.</summary>
    private int WalkFully(FullWalkReason reason, IWorkingDirectory rootDirectory, string marker, string aboveStamp, DateTime startUtc, CancellationToken cancellationToken)
    {
        var verify = _state is not null && marker != _marker;
        var rulesChanged = reason == FullWalkReason.IgnoreFilesChanged;
        var watching = false;
        if (_watch is not null)
        {
            watching = _watch.PrepareWalk(rootDirectory, out var refusal);
            if (refusal is { } refused && reason != FullWalkReason.WatcherOff) reason = refused;
        }
        LogWhy(reason);
        // Ignore rules changed (above the root, or the root's own .gitignore, named by the watcher and no longer
        // trusted by its stat): every ignore decision is made again.
        var aboveUnchanged = !rulesChanged && _aboveRules is not null && aboveStamp == _aboveStamp;
        if (!aboveUnchanged)
        {
            _aboveRules = WorkspaceIgnoreRules.AboveRoot(_root, _options.Excludes);
            _aboveStamp = aboveStamp;
        }
        var walk = new TreeWalk(_store, _options, _logger, _root, _dataDirectory, verify, watching ? _watch : null, startUtc, cancellationToken);
        var walked = walk.WalkRoot(rootDirectory, _state, _aboveRules!, aboveUnchanged);
        var builder = new TreeBuilder(_store, _watch, rewriteAll: verify);
        builder.FinishWalked(walked);
        if (watching && !_watch!.FinishWalk(out var failure) && failure is { } failed) LogWhy(failed);
        _state = walked;
        _index!.Record(walked, builder.Changes, marker, markerChanged: marker != _marker);
        _marker = marker;
        return walk.Read;
    }

    /// <summary>Logs why a track walks in full: once per cause while it lasts (a lasting one, such as a watch limit, is not repeated every track).</summary>
    private void LogWhy(FullWalkReason reason)
    {
        if (reason == _lastLogged) return;
        _lastLogged = reason;
        var why = reason switch
        {
            FullWalkReason.WatcherOff => "the file watcher is off (Snapshots:Watch) or not available here; every track walks in full",
            FullWalkReason.FirstSnapshot => "it is the first snapshot since the workspace was opened here (silo start, failover or activation)",
            FullWalkReason.WatchesReleased => "its file watches were released (idle, or other workspaces were tracked more recently); this walk takes them back",
            FullWalkReason.QueueOverflow => "the file watcher's event queue overflowed, so events may be lost",
            FullWalkReason.TooManyChanges => $"more than {WorkspaceWatch.MaxPendingNames:N0} changed paths were waiting",
            FullWalkReason.WatchFailed => "the system refused to watch one of its directories; tracks walk in full until it can",
            FullWalkReason.WatchLimit => "the system's file watch limit is reached (fs.inotify.max_user_watches or max_user_instances); tracks walk in full until watches free up",
            FullWalkReason.UnsupportedFileSystem => "it is on a network or user-space file system, where changes made elsewhere raise no events; every track walks in full",
            FullWalkReason.RootReplaced => "the workspace directory itself was replaced or moved",
            FullWalkReason.IgnoreFilesChanged => "ignore rules that apply to the whole tree changed (the root's .gitignore, one above it, or info/exclude)",
            FullWalkReason.ObjectsCollected => "objects were collected since the last snapshot, so every blob it reuses is checked once",
            FullWalkReason.PreviousTrackFailed => "the previous track failed, so what it saw is not trusted",
            FullWalkReason.VerifyMismatch => "a verification found changes the file watcher missed (logged as an error); this walk heals it",
            _ => reason.ToString(),
        };
        EngineLog.FullWalk(_logger, _root, reason, why);
    }

    private static List<SkippedPath> Skipped(DirectoryState root)
    {
        var skipped = new List<SkippedPath>();
        foreach (var node in root.SelfAndDescendants())
        {
            if (node.Skipped is { } own) skipped.AddRange(own);
        }
        return skipped.DistinctBy(s => s.Path, StringComparer.Ordinal).OrderBy(s => s.Path, StringComparer.Ordinal).ToList();
    }
}
