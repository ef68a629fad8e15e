namespace AgentSnapshots;

/// <summary>One agent session (key: session id). Owns the session's snapshot hashes and its workspace binding.</summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Snapshots the session's workspace now. The first call binds the session to <paramref name="directory"/>.</summary>
    Task<TrackResult> Track(string? directory, string? label);

    /// <summary>Paths that differ between snapshot <paramref name="since"/> and the workspace now.</summary>
    Task<ChangesResult> Changes(string since);

    /// <summary>Size-capped summary between two snapshots; <paramref name="to"/> null means the workspace now.</summary>
    Task<DiffSummary> Diff(string from, string? to);

    /// <summary>Makes the workspace match snapshot <paramref name="to"/>, after taking a safety snapshot.</summary>
    Task<RestoreResult> Restore(string to);

    /// <summary>Like <see cref="Restore"/> for the listed files only.</summary>
    Task<RestoreResult> Revert(string to, IReadOnlyList<string> files);

    Task<SessionHistory> History();
}
