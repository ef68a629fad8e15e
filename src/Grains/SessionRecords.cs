using Orleans.Storage;
using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// A session grain's history and where it is stored: entries in pages of their own (<see cref="PagedList{T}"/>),
/// the page range in the grain's state. Appending writes the last page; pruning and step stats rewrite only the
/// pages they touch. Lookups by hash are indexed.
/// </summary>
internal sealed class SessionRecords
{
    public const int PageSize = 64;

    private readonly IPersistentState<SessionState> _state;
    private readonly PageStorage<SessionSnapshot> _storage;
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private PagedList<SessionSnapshot> _entries;

    private SessionRecords(IPersistentState<SessionState> state, PageStorage<SessionSnapshot> storage, PagedList<SessionSnapshot> entries)
    {
        _state = state;
        _storage = storage;
        _entries = entries;
        foreach (var entry in entries.Items)
        {
            _counts[entry.Hash] = _counts.GetValueOrDefault(entry.Hash) + 1;
        }
    }

    public static async Task<SessionRecords> LoadAsync(IGrainStorage grainStorage, GrainId owner, IPersistentState<SessionState> state)
    {
        var storage = new PageStorage<SessionSnapshot>(grainStorage, owner, "history");
        var pages = await storage.LoadAsync(state.State.FirstPage, state.State.LastPage);
        return new SessionRecords(state, storage, new PagedList<SessionSnapshot>(PageSize, state.State.FirstPage, state.State.LastPage, pages));
    }

    public int Count => _entries.Count;

    /// <summary>The bound workspace's id; null until the first track.</summary>
    public string? WorkspaceId => _state.State.WorkspaceId;

    /// <summary>The bound workspace's canonical directory; null until the first track.</summary>
    public string? Directory => _state.State.Directory;

    /// <summary>Binds the session on its first track; false if it was bound already.</summary>
    public bool Bind(string workspaceId, string directory)
    {
        if (_state.State.WorkspaceId is not null) return false;
        _state.State.WorkspaceId = workspaceId;
        _state.State.Directory = directory;
        return true;
    }

    /// <summary>
    /// The directory to snapshot: the <paramref name="bound"/> one (still existing and allowed), or the given one on the
    /// first call. Static, since it runs off the grain's thread (it resolves paths on disk).
    /// </summary>
    public static string Resolve(string session, string? bound, string? directory, SnapshotsOptions options)
    {
        if (directory is null)
        {
            return WorkspaceIdentity.ResolveDirectory(bound ?? throw SessionErrors.NoDirectory(session), options.EffectiveWorkspaceRoots, options.AllowBroadWorkspaces);
        }
        var canonical = WorkspaceIdentity.ResolveDirectory(directory, options.EffectiveWorkspaceRoots, options.AllowBroadWorkspaces);
        if (bound is not null && !string.Equals(bound, canonical, StringComparison.Ordinal))
        {
            throw SessionErrors.BoundElsewhere(session, bound, canonical);
        }
        return canonical;
    }

    /// <summary>The bound workspace, or UnknownSession saying to track first (<paramref name="session"/>: the caller's name for it).</summary>
    public string RequireBound(string session, string verb)
    {
        return WorkspaceId ?? throw SessionErrors.NotBound(session, verb);
    }

    /// <summary>The bound workspace and directory of a session with snapshots, or UnknownSession saying to track first.</summary>
    public (string WorkspaceId, string Directory) RequireTracked(string session, string verb)
    {
        if (Count == 0 || WorkspaceId is null || Directory is null)
        {
            throw SessionErrors.NoSnapshots(session, verb);
        }
        return (WorkspaceId, Directory);
    }

    public IEnumerable<SessionSnapshot> Entries => _entries.Items;

    public SessionSnapshot? Last => _entries.Last;

    public bool Contains(string hash) => _counts.ContainsKey(hash);

    /// <summary>Adds a snapshot at the end; its step is pending against the snapshot before it (none for the first).</summary>
    public SessionSnapshot Append(string hash, string? label, int files, int skipped)
    {
        var previous = Last;
        var entry = new SessionSnapshot { Hash = hash, Label = label, Time = DateTimeOffset.UtcNow, Files = files, Skipped = skipped };
        if (previous is not null)
        {
            if (previous.Hash == hash)
            {
                entry.Step = new SessionStep { Exact = true };
            }
            else
            {
                entry.PendingFrom = previous.Hash;
            }
        }
        _entries.Append(entry);
        _counts[hash] = _counts.GetValueOrDefault(hash) + 1;
        return entry;
    }

    /// <summary>Entries whose step stats are still to be computed.</summary>
    public IEnumerable<SessionSnapshot> PendingSteps => _entries.Items.Where(e => e.PendingFrom is not null);

    /// <summary>Stores a step's stats on the entries of <paramref name="hash"/> pending against <paramref name="from"/>; false if none is.</summary>
    public bool SetStep(string hash, string from, StepStats stats)
    {
        var found = false;
        foreach (var entry in _entries.Items.Where(e => e.Hash == hash && e.PendingFrom == from))
        {
            entry.Step = new SessionStep { Changed = stats.Changed, Additions = stats.Additions, Deletions = stats.Deletions, Exact = stats.Exact };
            entry.PendingFrom = null;
            _entries.Touch(entry);
            found = true;
        }
        return found;
    }

    /// <summary>The workspace's drop epoch when the history was last pruned.</summary>
    public long SyncedEpoch => _state.State.SyncedEpoch;

    /// <summary>Removes every entry the workspace no longer keeps for the session; returns how many distinct snapshots went.</summary>
    public int Prune(Retained retained)
    {
        _state.State.SyncedEpoch = retained.DropEpoch;
        var live = retained.Live.ToHashSet(StringComparer.Ordinal);
        var gone = _counts.Keys.Where(h => !live.Contains(h)).ToList();
        if (gone.Count == 0) return 0;
        _entries.RemoveAll(e => !live.Contains(e.Hash));
        foreach (var hash in gone)
        {
            _counts.Remove(hash);
        }
        return gone.Count;
    }

    /// <summary>Writes the pages that changed, then the state when its page range changed or <paramref name="stateChanged"/>.</summary>
    public async Task SaveAsync(bool stateChanged = false)
    {
        var rangeChanged = _entries.RangeChanged;
        await _storage.SaveAsync(_entries);
        if (rangeChanged || stateChanged)
        {
            _state.State.FirstPage = _entries.FirstPage;
            _state.State.LastPage = _entries.LastPage;
            await _state.WriteStateAsync();
        }
    }

    /// <summary>Deletes the history's pages and the session's state (binding included), and starts empty.</summary>
    public async Task ClearAsync()
    {
        await _storage.ClearAllAsync(_entries.FirstPage, _entries.LastPage);
        await _state.ClearStateAsync(CancellationToken.None);
        _state.State = new SessionState();
        _entries = new PagedList<SessionSnapshot>(PageSize, 0, 0, []);
        _counts.Clear();
    }
}
