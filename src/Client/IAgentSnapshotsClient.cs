namespace AgentSnapshots.Client;

/// <summary>
/// The operations of an AgentSnapshots session, as an agent backend calls them. Register it with
/// <c>services.AddAgentSnapshotsClient(...)</c> and inject it.
/// </summary>
/// <remarks>
/// Bad input (a malformed id, an unknown snapshot, a directory outside the silo's workspace roots, ...) raises
/// <see cref="SnapshotRequestException"/> and changes nothing; a coded service failure raises
/// <see cref="SnapshotServiceException"/>; an unreachable cluster raises Orleans' own exceptions. Cancelling a call
/// cancels it in the silo too: work not yet started is dropped, a snapshot stops between files, and a restore stops
/// between files with an error naming the safety snapshot that undoes what it did.
/// </remarks>
public interface IAgentSnapshotsClient
{
    /// <summary>
    /// Snapshots the session's workspace now. The first call binds the session to <paramref name="directory"/>
    /// (a relative path is made absolute against this process's current directory); later calls may omit it.
    /// </summary>
    /// <param name="sessionId">The session: 1 to 128 letters, digits or <c>. _ : -</c>.</param>
    /// <param name="directory">The workspace directory; required on the session's first call.</param>
    /// <param name="label">A label for the snapshot in the history.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>The snapshot's tree hash, its file count and the files it left out, with the reason.</returns>
    Task<TrackResult> TrackAsync(string sessionId, string? directory = null, string? label = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Snapshots the session's remote workspace now, through its workspace agent (<c>agentsnapshots agent --workspace
    /// NAME --dir DIR</c> beside the files): the first call binds the session to <paramref name="workspace"/>; later
    /// calls may use <see cref="TrackAsync"/> without a directory. No agent connected: <see cref="SnapshotServiceException"/>
    /// with <see cref="ServiceError.WorkspaceOffline"/> (retry once one is).
    /// </summary>
    /// <param name="sessionId">The session: 1 to 128 letters, digits or <c>. _ : -</c>.</param>
    /// <param name="workspace">The remote workspace's name: 1 to 100 letters, digits or <c>. _ -</c>.</param>
    /// <param name="label">A label for the snapshot in the history.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>The snapshot's tree hash, its file count and the files it left out, with the reason.</returns>
    Task<TrackResult> TrackWorkspaceAsync(string sessionId, string workspace, string? label = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Paths that differ between snapshot <paramref name="since"/> and the workspace now, in path order: at most
    /// <c>Snapshots:MaxListedPaths</c> of them after <paramref name="after"/>; ask again with the last path listed
    /// while <see cref="ChangesResult.OmittedFiles"/> is not 0.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="since">A snapshot hash of the session.</param>
    /// <param name="after">List the paths after this one (null: from the first).</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>The changed paths, relative to the workspace, with their total count.</returns>
    Task<ChangesResult> ChangesAsync(string sessionId, string since, string? after = null, CancellationToken cancellationToken = default);

    /// <summary>The size-capped summary of what changed between two snapshots.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="from">The older snapshot's hash.</param>
    /// <param name="to">The newer snapshot's hash; null compares with the workspace now.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>Per file: status, line counts, sizes and a short patch preview.</returns>
    Task<DiffSummary> DiffAsync(string sessionId, string from, string? to = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the workspace match snapshot <paramref name="to"/> for every path a snapshot covers. A safety snapshot is
    /// taken first and returned, so the restore can be undone by restoring it.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="to">The snapshot to restore.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>The safety snapshot and the files written and deleted.</returns>
    Task<RestoreResult> RestoreAsync(string sessionId, string to, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="RestoreAsync"/> for <paramref name="files"/> only (a file absent from <paramref name="to"/> is
    /// deleted). Paths are relative to the workspace; absolute paths inside the session's workspace are made relative.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="to">The snapshot to take the files from.</param>
    /// <param name="files">Files or directories, relative to the workspace.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>The safety snapshot and the files written and deleted.</returns>
    Task<RestoreResult> RevertAsync(string sessionId, string to, IEnumerable<string> files, CancellationToken cancellationToken = default);

    /// <summary>The session's snapshots, oldest first (empty for a session never tracked).</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>The workspace binding and the snapshots with label, time, counts and step stats.</returns>
    Task<SessionHistory> HistoryAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Disk used by the session's workspace store, the snapshots it keeps and the sessions on it.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>Objects, bytes, snapshots kept and sessions of the workspace.</returns>
    Task<WorkspaceUsage> UsageAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Applies the retention policy to the session's workspace now and deletes what no kept snapshot needs.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>Snapshots dropped, objects deleted, bytes freed and what remains.</returns>
    Task<CollectionReport> CollectAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the session; its snapshots no other session recorded are freed by the next collection. Deleting an
    /// unknown session is not an error.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the call, in the silo too.</param>
    /// <returns>The session's workspace and how many snapshots it released.</returns>
    Task<DeletedSession> DeleteAsync(string sessionId, CancellationToken cancellationToken = default);
}
