namespace AgentSnapshots;

/// <summary>One agent session (key: session id). Owns the session's snapshot hashes and its workspace binding.</summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Snapshots the session's workspace now. The first call binds the session to <paramref name="directory"/>.</summary>
    Task<TrackResult> Track(string? directory, string? label);

    /// <summary>
    /// Paths that differ between snapshot <paramref name="since"/> and the workspace now, in path order, starting after
    /// path <paramref name="after"/> (null: from the first), at most <c>Snapshots:MaxListedPaths</c> of them.
    /// </summary>
    Task<ChangesResult> Changes(string since, string? after = null);

    /// <summary>Size-capped summary between two snapshots; <paramref name="to"/> null means the workspace now.</summary>
    Task<DiffSummary> Diff(string from, string? to);

    /// <summary>Makes the workspace match snapshot <paramref name="to"/>, after taking a safety snapshot.</summary>
    Task<RestoreResult> Restore(string to);

    /// <summary>Like <see cref="Restore"/> for the listed files only.</summary>
    Task<RestoreResult> Revert(string to, IReadOnlyList<string> files);

    Task<SessionHistory> History();

    /// <summary>Disk used by the session's workspace store, the snapshots it keeps and its sessions.</summary>
    Task<WorkspaceUsage> Usage();

    /// <summary>Applies the retention policy to the session's workspace now and frees what nothing keeps.</summary>
    Task<CollectionReport> Collect();

    /// <summary>
    /// Deletes the session: its history and binding are cleared and its workspace forgets it, so snapshots no other
    /// session recorded are freed by the next collection. Deleting an unknown session is not an error.
    /// </summary>
    Task<DeletedSession> Delete();
}
