using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// A session grain's history and binding, as rows (<see cref="ISnapshotRows"/>). A track's history row is written
/// by the workspace, in the transaction that records the catalogue entry (<see cref="NextAppend"/>,
/// <see cref="Appended"/>); this class writes only what the session changes on its own: steps' stats not yet
/// carried by a track, pruning, deletion. Lookups by hash are indexed.
/// </summary>
internal sealed class SessionRecords
{
    private readonly ISnapshotRows _rows;
    private readonly string _sessionId;
    private readonly List<SessionSnapshot> _entries = [];
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly HashSet<SessionSnapshot> _unsavedSteps = new(ReferenceEqualityComparer.Instance);
    private readonly List<long> _unsavedDeletes = [];
    private SessionRow _header;
    private bool _headerChanged;
    private long _lastSequence;

    private SessionRecords(ISnapshotRows rows, string sessionId, StoredSession? stored)
    {
        _rows = rows;
        _sessionId = sessionId;
        _header = stored?.Header ?? new SessionRow(sessionId, null, null, 0);
        foreach (var row in stored?.History ?? [])
        {
            Add(ToEntry(row));
        }
    }

    /// <summary>
    /// Reads the session's rows. A session stored by an earlier version (grain state and history pages, no row) is
    /// migrated first: its rows written in one transaction, then the old records cleared.
    /// </summary>
    public static async Task<SessionRecords> LoadAsync(ISnapshotRows rows, string sessionId, IPersistentState<SessionState> legacy,
        IGrainStorage storage, GrainId owner, ILogger logger)
    {
        var stored = await rows.ReadSessionAsync(sessionId);
        if (stored is null && legacy.State.WorkspaceId is not null)
        {
            stored = await MigrateAsync(rows, sessionId, legacy, storage, owner);
            GrainLog.SessionMigrated(logger, sessionId, stored.History.Count);
        }
        return new SessionRecords(rows, sessionId, stored);
    }

    public int Count => _entries.Count;

    /// <summary>The bound workspace's id; null until the first track.</summary>
    public string? WorkspaceId => _header.WorkspaceId;

    /// <summary>The bound workspace's canonical directory; null until the first track.</summary>
    public string? Directory => _header.Directory;

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

    public IEnumerable<SessionSnapshot> Entries => _entries;

    public SessionSnapshot? Last => _entries.Count > 0 ? _entries[^1] : null;

    public bool Contains(string hash) => _counts.ContainsKey(hash);

    /// <summary>What the workspace is to write for the session's next snapshot (with the stats waiting to be written, and the binding on the first).</summary>
    public SessionAppend NextAppend(string? label) =>
        new(_sessionId, _lastSequence + 1, string.IsNullOrWhiteSpace(label) ? null : label.Trim(), Last?.Hash, WorkspaceId is null,
            [.. _unsavedSteps.Select(StepOf)]);

    /// <summary>
    /// Keeps in memory what the workspace wrote for <paramref name="append"/>: the binding, the stats it carried and,
    /// when <paramref name="row"/> is given, the new entry (returned).
    /// </summary>
    public SessionSnapshot? Appended(SessionAppend append, HistoryRow? row, string workspaceId, string directory, long dropEpoch)
    {
        if (append.Bind && WorkspaceId is null)
        {
            _header = new SessionRow(_sessionId, workspaceId, directory, dropEpoch);
        }
        var carried = append.Steps.Select(s => s.Sequence).ToHashSet();
        _unsavedSteps.RemoveWhere(e => carried.Contains(e.Sequence));
        if (row is null) return null;
        var entry = ToEntry(row);
        Add(entry);
        return entry;
    }

    /// <summary>Entries whose step stats are still to be computed.</summary>
    public IEnumerable<SessionSnapshot> PendingSteps => _entries.Where(e => e.PendingFrom is not null);

    /// <summary>Whether stats are waiting to be written.</summary>
    public bool HasUnsaved => _unsavedSteps.Count > 0 || _unsavedDeletes.Count > 0 || _headerChanged;

    /// <summary>Stores a step's stats on the entries of <paramref name="hash"/> pending against <paramref name="from"/>; false if none is.</summary>
    public bool SetStep(string hash, string from, StepStats stats)
    {
        var found = false;
        foreach (var entry in _entries.Where(e => e.Hash == hash && e.PendingFrom == from))
        {
            entry.Step = new SessionStep { Changed = stats.Changed, Additions = stats.Additions, Deletions = stats.Deletions, Exact = stats.Exact };
            entry.PendingFrom = null;
            _unsavedSteps.Add(entry);
            found = true;
        }
        return found;
    }

    /// <summary>The workspace's drop epoch when the history was last pruned.</summary>
    public long SyncedEpoch => _header.SyncedEpoch;

    /// <summary>Prunes the history of what retention dropped, if the workspace's drop epoch moved since the last prune.</summary>
    public async Task<bool> PruneDroppedAsync(IWorkspaceGrain workspace, ILogger logger)
    {
        var retained = await workspace.RetainedAsync(_sessionId);
        if (retained.DropEpoch == SyncedEpoch) return false;
        if (Prune(retained) is var gone and > 0)
        {
            GrainLog.Pruned(logger, _sessionId, gone);
        }
        return true;
    }

    /// <summary>Removes every entry the workspace no longer keeps for the session; returns how many distinct snapshots went.</summary>
    public int Prune(Retained retained)
    {
        _header = _header with { SyncedEpoch = retained.DropEpoch };
        _headerChanged = true;
        var live = retained.Live.ToHashSet(StringComparer.Ordinal);
        var gone = _counts.Keys.Where(h => !live.Contains(h)).ToList();
        if (gone.Count == 0) return 0;
        foreach (var entry in _entries.Where(e => !live.Contains(e.Hash)))
        {
            _unsavedDeletes.Add(entry.Sequence);
            _unsavedSteps.Remove(entry);
        }
        _entries.RemoveAll(e => !live.Contains(e.Hash));
        foreach (var hash in gone)
        {
            _counts.Remove(hash);
        }
        return gone.Count;
    }

    /// <summary>Writes what the session changed on its own (stats, pruning), in one transaction; nothing if nothing did.</summary>
    public async Task SaveAsync()
    {
        if (!HasUnsaved) return;
        var batch = new RowBatch();
        if (_headerChanged) batch.Sessions.Add(_header);
        batch.DeletedHistory.AddRange(_unsavedDeletes.Select(s => (_sessionId, s)));
        batch.Steps.AddRange(_unsavedSteps.Select(e => (_sessionId, StepOf(e))));
        await _rows.WriteAsync(batch);
        _headerChanged = false;
        _unsavedDeletes.Clear();
        _unsavedSteps.Clear();
    }

    /// <summary>Deletes the session's rows (binding included), and any records an earlier version left, and starts empty.</summary>
    public async Task ClearAsync(IPersistentState<SessionState> legacy, IGrainStorage storage, GrainId owner)
    {
        var batch = new RowBatch();
        batch.DeletedSessions.Add(_sessionId);
        await _rows.WriteAsync(batch);
        if (legacy.State.WorkspaceId is not null)
        {
            await ClearLegacyAsync(legacy, storage, owner);
        }
        _header = new SessionRow(_sessionId, null, null, 0);
        _headerChanged = false;
        _entries.Clear();
        _counts.Clear();
        _unsavedSteps.Clear();
        _unsavedDeletes.Clear();
        _lastSequence = 0;
    }

    private void Add(SessionSnapshot entry)
    {
        _entries.Add(entry);
        _counts[entry.Hash] = _counts.GetValueOrDefault(entry.Hash) + 1;
        _lastSequence = Math.Max(_lastSequence, entry.Sequence);
    }

    private static SessionSnapshot ToEntry(HistoryRow row) => new()
    {
        Sequence = row.Sequence,
        Hash = row.Hash,
        Label = row.Label,
        Time = DateTimeOffset.FromUnixTimeMilliseconds(row.TakenMs),
        Files = row.Files,
        Skipped = row.Skipped,
        PendingFrom = row.PendingFrom,
        Step = row.Step is { } s ? new SessionStep { Changed = s.Changed, Additions = s.Additions, Deletions = s.Deletions, Exact = s.Exact } : null,
    };

    private static HistoryRow ToRow(string sessionId, SessionSnapshot entry) =>
        new(sessionId, entry.Sequence, entry.Hash, entry.Label, entry.Time.ToUnixTimeMilliseconds(), entry.Files, entry.Skipped, entry.PendingFrom,
            entry.Step is null ? null : StepOf(entry));

    private static StepRow StepOf(SessionSnapshot entry) =>
        new(entry.Sequence, entry.Step?.Changed ?? 0, entry.Step?.Additions ?? 0, entry.Step?.Deletions ?? 0, entry.Step?.Exact ?? false);

    /// <summary>Writes an earlier version's session (grain state and history pages) as rows, then clears the old records.</summary>
    private static async Task<StoredSession> MigrateAsync(ISnapshotRows rows, string sessionId, IPersistentState<SessionState> legacy, IGrainStorage storage, GrainId owner)
    {
        var old = legacy.State;
        var pages = await new PageStorage<SessionSnapshot>(storage, owner, "history").LoadAsync(old.FirstPage, old.LastPage);
        var sequence = 0L;
        var history = new List<HistoryRow>();
        foreach (var entry in pages.SelectMany(p => p.Value))
        {
            entry.Sequence = ++sequence;
            history.Add(ToRow(sessionId, entry));
        }
        var header = new SessionRow(sessionId, old.WorkspaceId, old.Directory, old.SyncedEpoch);
        var batch = new RowBatch();
        batch.Sessions.Add(header);
        batch.History.AddRange(history);
        await rows.WriteAsync(batch);
        // The rows are written: the old records go (were this interrupted, the rows are read next time and the old records stay unused).
        await ClearLegacyAsync(legacy, storage, owner);
        return new StoredSession(header, history);
    }

    private static async Task ClearLegacyAsync(IPersistentState<SessionState> legacy, IGrainStorage storage, GrainId owner)
    {
        await new PageStorage<SessionSnapshot>(storage, owner, "history").ClearAllAsync(legacy.State.FirstPage, legacy.State.LastPage);
        await legacy.ClearStateAsync();
        legacy.State = new SessionState();
    }
}
