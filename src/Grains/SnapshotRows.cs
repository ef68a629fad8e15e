namespace AgentSnapshots;

/// <summary>
/// Where sessions' histories and workspaces' catalogues are stored: as rows of their own tables (one per snapshot in
/// a history, one per live snapshot in a catalogue), not as grain state. Everything one track records (the history
/// row, the catalogue entry, the step stats waiting to be written, the session's binding) goes in one
/// <see cref="RowBatch"/>, written in one transaction. Implemented by the silo on SQLite and on PostgreSQL.
/// </summary>
public interface ISnapshotRows
{
    /// <summary>The session's binding and history (oldest first), or null if it was never stored.</summary>
    Task<StoredSession?> ReadSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>The workspace's header and catalogue entries (oldest recording first), or null if it was never stored.</summary>
    Task<StoredWorkspace?> ReadWorkspaceAsync(string workspaceId, CancellationToken cancellationToken = default);

    /// <summary>Writes every change in <paramref name="batch"/> in one transaction: all of them or none.</summary>
    Task WriteAsync(RowBatch batch, CancellationToken cancellationToken = default);
}

/// <summary>A session's stored binding and history.</summary>
public sealed record StoredSession(SessionRow Header, IReadOnlyList<HistoryRow> History);

/// <summary>A workspace's stored header and catalogue.</summary>
public sealed record StoredWorkspace(WorkspaceRow Header, IReadOnlyList<CatalogueRow> Entries);
