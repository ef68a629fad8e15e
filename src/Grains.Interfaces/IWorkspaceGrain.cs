namespace AgentSnapshots;

/// <summary>
/// The sole writer of one workspace directory (key: workspace id, derived from the directory's canonical path).
/// Requests to one workspace are serialised by the grain; its object store is written by no one else.
/// </summary>
public interface IWorkspaceGrain : IGrainWithStringKey
{
    /// <summary>Walks the working tree and writes a snapshot of it into the workspace's object store.</summary>
    Task<TrackResult> Snapshot(string directory);

    /// <summary>Paths that differ between <paramref name="since"/> and the working tree now (writes a snapshot of now).</summary>
    Task<ChangesResult> Changes(string directory, string since);

    /// <summary>
    /// Makes the working tree match <paramref name="to"/> for <paramref name="files"/> (null: every path either covers),
    /// after a safety snapshot, and returns what it did.
    /// </summary>
    Task<RestoreResult> Restore(string directory, string to, IReadOnlyList<string>? files);

    /// <summary>
    /// The file and skipped counts of a snapshot this workspace took recently (e.g. a restore's safety snapshot),
    /// or null if it has no record of them.
    /// </summary>
    Task<SnapshotCounts?> CountsOf(string hash);
}

/// <summary>How many files a snapshot holds and how many it skipped.</summary>
[GenerateSerializer, Immutable]
public sealed record SnapshotCounts(
    [property: Id(0)] int Files,
    [property: Id(1)] int Skipped);
