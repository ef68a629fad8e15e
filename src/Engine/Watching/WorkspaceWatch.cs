using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.WorkingTree;
using AgentSnapshots.Engine.WorkingTree.Reading;

namespace AgentSnapshots.Engine.Watching;

/// <summary>Changes the watcher saw in one directory since the last track: the names touched (with their events), or "re-read all of it".</summary>
internal sealed class PendingDirectory
{
    /// <summary>Beyond this many names in one directory, the directory's listing is read again instead.</summary>
    public const int MaxNames = 4096;

    /// <summary>Touched names and the union of their events; null once <see cref="Whole"/>.</summary>
    public Dictionary<string, InotifyMask>? Names { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>Read the whole listing again (too many names, or a name that is not valid UTF-8).</summary>
    public bool Whole { get; private set; }

    /// <summary>The directory itself was deleted or moved away (its watch is gone).</summary>
    public bool SelfGone { get; set; }

    /// <summary>Adds an event; returns whether it was a name not seen before.</summary>
    public bool Add(string? name, InotifyMask mask)
    {
        if (Whole) return false;
        if (name is null || Names!.Count >= MaxNames)
        {
            MarkWhole();
            return false;
        }
        var added = !Names.TryGetValue(name, out var before);
        Names[name] = before | mask;
        return added;
    }

    public void MarkWhole()
    {
        Whole = true;
        Names = null;
    }

    /// <summary>A copy that later events do not change.</summary>
    public PendingDirectory Copy()
    {
        var copy = new PendingDirectory { SelfGone = SelfGone };
        if (Whole) copy.MarkWhole();
        else
        {
            foreach (var (name, mask) in Names!) copy.Names![name] = mask;
        }
        return copy;
    }
}

/// <summary>
/// The watches of one workspace and the changes they reported since its last track. The workspace's snapshotter
/// takes the changes at the start of a track (<see cref="TryTakeChanges"/>), or, when the watches cannot vouch for
/// the tree (none yet, released, overflowed, limit reached), walks in full, watching each directory before it lists
/// it (<see cref="PrepareWalk"/>, <see cref="Add"/>, <see cref="FinishWalk"/>). The registry's reader thread adds
/// events; the registry releases the watches of idle workspaces, never during a track.
/// </summary>
internal sealed class WorkspaceWatch : IDisposable
{
    /// <summary>Beyond this many changed names waiting, the next track walks in full instead.</summary>
    public const int MaxPendingNames = 100_000;

    private static readonly TimeSpan LimitRetryAfter = TimeSpan.FromMinutes(1);

    private readonly WatchRegistry _registry;
    private readonly object _sync = new();
    private readonly Dictionary<int, DirectoryState> _nodes = [];
    private Dictionary<int, PendingDirectory> _pending = [];
    private int _pendingNames;
    private FullWalkReason? _lost = FullWalkReason.FirstSnapshot;
    private FullWalkReason? _walkFailure;
    private DateTime _retryAfterUtc;
    private Dictionary<int, PendingDirectory>? _journal;
    private int _journalNames;
    private int _generation;
    private bool _busy;
    private bool _disposed;

    internal WorkspaceWatch(WatchRegistry registry, string root)
    {
        _registry = registry;
        Root = root;
    }

    public string Root { get; }

    /// <summary>Its files with several hard links, stat'ed again by every watched track.</summary>
    public LinkedFiles Linked { get; } = new();

    /// <summary>Directories watched now.</summary>
    public int Count
    {
        get
        {
            lock (_sync) return _nodes.Count;
        }
    }

    /// <summary>When it was last tracked (the registry's idle and eviction order).</summary>
    internal DateTime LastUsedUtc { get; set; }

    /// <summary>Its place in the registry's recently-used list, while it holds watches.</summary>
    internal LinkedListNode<WorkspaceWatch>? Recent { get; set; }

    /// <summary>Marks a track as running: the registry does not release watches under it.</summary>
    public void BeginTrack()
    {
        lock (_sync) _busy = true;
        _registry.Touch(this);
    }

    public void EndTrack()
    {
        lock (_sync) _busy = false;
    }

    /// <summary>The changes seen since the last track, if the watches vouch for everything; otherwise why the track must walk in full.</summary>
    public bool TryTakeChanges(out Dictionary<int, PendingDirectory> changes, out FullWalkReason reason)
    {
        _registry.Drain();
        lock (_sync)
        {
            if (_lost is { } lost)
            {
                changes = [];
                reason = lost;
                return false;
            }
            changes = _pending;
            _pending = [];
            _pendingNames = 0;
            reason = default;
            return true;
        }
    }

    /// <summary>
    /// Before a full walk: takes (back) a place among the silo's watched workspaces and forgets queued changes
    /// (the walk sees everything). False, with the reason, when this walk cannot watch.
    /// </summary>
    public bool PrepareWalk(IWorkingDirectory root, out FullWalkReason? refusal)
    {
        refusal = null;
        Linked.Clear();
        if (root.WatchPath is null)
        {
            refusal = FullWalkReason.WatcherOff;
            return false;
        }
        if (WatchedFileSystems.IsUnsupported(root.FileSystemType))
        {
            refusal = FullWalkReason.UnsupportedFileSystem;
            return false;
        }
        lock (_sync)
        {
            if (_lost == FullWalkReason.WatchLimit && DateTime.UtcNow < _retryAfterUtc)
            {
                refusal = FullWalkReason.WatchLimit;
                return false;
            }
        }
        if (!_registry.TryHold(this, out var unavailable))
        {
            refusal = unavailable;
            lock (_sync) _lost = unavailable;
            return false;
        }
        lock (_sync)
        {
            _pending = [];
            _pendingNames = 0;
            _walkFailure = null;
            // Events from here on are kept: they describe changes after the walk saw a directory, or before it (harmless).
            _lost = null;
        }
        return true;
    }

    /// <summary>Watches a directory the walk is about to list; its watch descriptor, or -1 (the walk goes on; <see cref="FinishWalk"/> reports it).</summary>
    public int Add(string watchPath, DirectoryState node)
    {
        lock (_sync)
        {
            if (_walkFailure is not null) return -1;
        }
        int wd;
        try
        {
            wd = _registry.AddWatch(this, watchPath);
        }
        catch (WatchLimitException)
        {
            lock (_sync) _walkFailure ??= FullWalkReason.WatchLimit;
            return -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unwatched directory would hide its changes: the watches as a whole cannot vouch for the tree.
            lock (_sync) _walkFailure ??= FullWalkReason.WatchFailed;
            _registry.LogWatchFailed(Root, e.Message);
            return -1;
        }
        lock (_sync) _nodes[wd] = node;
        return wd;
    }

    /// <summary>After a walk that watched (a full one, or a track that walked new directories): true if every directory is watched; otherwise its watches are released and it retries later.</summary>
    public bool FinishWalk(out FullWalkReason? failure)
    {
        lock (_sync) failure = _walkFailure;
        if (failure is null) return true;
        _registry.Release(this, failure.Value, force: true);
        lock (_sync) _retryAfterUtc = DateTime.UtcNow + LimitRetryAfter;
        return false;
    }

    /// <summary>
    /// After a track that failed part-way: releases every watch (some may name directories of a state that was
    /// thrown away); the next track walks in full and takes them back.
    /// </summary>
    public void Abandon() => _registry.Release(this, FullWalkReason.PreviousTrackFailed, force: true);

    /// <summary>Stops watching <paramref name="node"/>'s directory, unless a newer node took its watch over.</summary>
    public void Remove(DirectoryState node)
    {
        var wd = node.Watch;
        lock (_sync)
        {
            if (!_nodes.TryGetValue(wd, out var owner) || owner != node) return;
            _nodes.Remove(wd);
        }
        _registry.RemoveWatch(this, wd);
    }

    /// <summary>The directory a watch descriptor watches now, or null.</summary>
    public DirectoryState? NodeOf(int wd)
    {
        lock (_sync) return _nodes.GetValueOrDefault(wd);
    }

    /// <summary>An event from the registry's reader thread.</summary>
    internal void Enqueue(int wd, InotifyMask mask, string? name, bool nameUnreadable)
    {
        lock (_sync)
        {
            if (_lost is not null) return;
            if (_journal is not null && Note(_journal, wd, mask, name, nameUnreadable) && ++_journalNames > MaxPendingNames)
            {
                // More changes than a verification can explain by name: it gives no verdict.
                _generation++;
                _journal = null;
            }
            if (Note(_pending, wd, mask, name, nameUnreadable) && ++_pendingNames > MaxPendingNames)
            {
                Lose(FullWalkReason.TooManyChanges);
            }
        }
    }

    /// <summary>Files an event under its directory in <paramref name="changes"/>; true if it named a name not seen before.</summary>
    private static bool Note(Dictionary<int, PendingDirectory> changes, int wd, InotifyMask mask, string? name, bool nameUnreadable)
    {
        if (!changes.TryGetValue(wd, out var directory))
        {
            directory = new PendingDirectory();
            changes[wd] = directory;
        }
        if (name is null && !nameUnreadable)
        {
            if ((mask & InotifyMask.SelfGone) != 0) directory.SelfGone = true;
            return false;
        }
        return directory.Add(name, mask);
    }

    /// <summary>
    /// For a verification, at a point where no track runs: whether the watches vouch for the tree now; if so, starts a
    /// journal of events (the changes queued now, and every event from here on, whether or not a track takes it).
    /// </summary>
    internal bool TryStartJournal(out int generation)
    {
        _registry.Drain();
        lock (_sync)
        {
            generation = _generation;
            if (_lost is not null || _journal is not null) return false;
            _journal = _pending.ToDictionary(p => p.Key, p => p.Value.Copy());
            _journalNames = _pendingNames;
            return true;
        }
    }

    /// <summary>
    /// Ends the journal <see cref="TryStartJournal"/> started, once every event raised so far is filed; null if it cannot
    /// explain what the verification saw (watches lost or released meanwhile, or more changes than it keeps).
    /// </summary>
    internal Dictionary<int, PendingDirectory>? EndJournal(int generation)
    {
        _registry.Drain();
        lock (_sync)
        {
            var journal = _journal;
            _journal = null;
            return _lost is null && generation == _generation ? journal : null;
        }
    }

    /// <summary>A verification found what the watches missed: the next track walks in full (and watches everything again).</summary>
    internal void Distrust(FullWalkReason reason)
    {
        lock (_sync) Lose(reason);
    }

    /// <summary>Test hook: stops the kernel watching the directory at <paramref name="path"/> while the state still counts it watched (a lost watch, as a verification must find).</summary>
    internal void DropKernelWatch(string path)
    {
        int wd;
        lock (_sync) wd = _nodes.FirstOrDefault(n => n.Value.Path == path && !n.Value.Detached).Key;
        _registry.RemoveWatch(this, wd);
    }

    /// <summary>Events were lost: the next track walks in full.</summary>
    internal void Overflowed()
    {
        lock (_sync)
        {
            if (_lost is null) Lose(FullWalkReason.QueueOverflow);
        }
    }

    /// <summary>Releases every watch (through <paramref name="remove"/>) unless a track is running, or <paramref name="force"/> (the track itself asks).</summary>
    internal bool TryRelease(FullWalkReason reason, bool force, Action<int> remove)
    {
        lock (_sync)
        {
            if (_busy && !force) return false;
            foreach (var wd in _nodes.Keys) remove(wd);
            _nodes.Clear();
            if (!_disposed) Lose(reason);
            return true;
        }
    }

    public void Dispose()
    {
        lock (_sync) _disposed = true;
        _registry.Release(this, FullWalkReason.WatchesReleased, force: true);
    }

    private void Lose(FullWalkReason reason)
    {
        _generation++;
        _lost = reason;
        _pending = [];
        _pendingNames = 0;
    }
}
