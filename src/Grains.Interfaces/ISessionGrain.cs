namespace AgentSnapshots;

/// <summary>
/// One agent session (key: session id). Owns the session's snapshot hashes and its workspace binding. Every call
/// takes a cancellation token: cancelling it stops work that has not started writing (a snapshot stops between
/// files; a restore stops between files, and its error names the safety snapshot that undoes what it did).
/// </summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Snapshots the session's workspace now. The first call binds the session to <paramref name="directory"/>.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<TrackResult> TrackAsync(string? directory, string? label, CancellationToken cancellationToken = default);

    /// <summary>
    /// Snapshots the session's remote workspace <paramref name="workspace"/> (a name, served by a workspace agent) now;
    /// the first call binds the session to it. No agent connected: <see cref="ServiceError.WorkspaceOffline"/>.
    /// </summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<TrackResult> TrackWorkspaceAsync(string workspace, string? label, CancellationToken cancellationToken = default);

    /// <summary>
    /// Paths that differ between snapshot <paramref name="since"/> and the workspace now, in path order, starting after
    /// path <paramref name="after"/> (null: from the first), at most <c>Snapshots:MaxListedPaths</c> of them.
    /// </summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<ChangesResult> ChangesAsync(SnapshotHash since, string? after = null, CancellationToken cancellationToken = default);

    /// <summary>Size-capped summary between two snapshots; <paramref name="to"/> null means the workspace now.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<DiffSummary> DiffAsync(SnapshotHash from, SnapshotHash? to, CancellationToken cancellationToken = default);

    /// <summary>Makes the workspace match snapshot <paramref name="to"/>, after taking a safety snapshot.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<RestoreResult> RestoreAsync(SnapshotHash to, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="RestoreAsync"/> for the listed files only.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<RestoreResult> RevertAsync(SnapshotHash to, IReadOnlyList<string> files, CancellationToken cancellationToken = default);

    /// <summary>The session's snapshots, oldest first, with each step's stats once computed.</summary>
    Task<SessionHistory> HistoryAsync(CancellationToken cancellationToken = default);

    /// <summary>Disk used by the session's workspace store, the snapshots it keeps and its sessions.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<WorkspaceUsage> UsageAsync(CancellationToken cancellationToken = default);

    /// <summary>Applies the retention policy to the session's workspace now and frees what nothing keeps.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<CollectionReport> CollectAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the session: its history and binding are cleared and its workspace forgets it, so snapshots no other
    /// session recorded are freed by the next collection. Deleting an unknown session is not an error.
    /// </summary>
    Task<DeletedSession> DeleteAsync(CancellationToken cancellationToken = default);
}
