using AgentSnapshots.Engine;
using Orleans.Concurrency;

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
    Task<ChangesResult> Changes(string directory, string since, string? after);


    /// <summary>
    /// The file and skipped counts of a snapshot this workspace took recently (e.g. a restore's safety snapshot),
    /// or null if it has no record of them.
    /// </summary>
    Task<SnapshotCounts?> CountsOf(string hash);

    /// <summary>
    /// Like <see cref="Snapshot"/>, and records the snapshot as one of <paramref name="sessionId"/>'s in the same turn,
    /// so retention keeps it (and no collection can run between writing it and recording it).
    /// </summary>
    Task<TrackResult> Track(string directory, string sessionId);

    /// <summary>
    /// Makes the working tree match <paramref name="to"/> for <paramref name="files"/> (null: every path either covers),
    /// after a safety snapshot that it records as one of <paramref name="sessionId"/>'s, and returns what it did.
    /// </summary>
    Task<RestoreResult> RestoreFor(string directory, string to, IReadOnlyList<string>? files, string sessionId);

    /// <summary>
    /// The hashes this workspace keeps for <paramref name="sessionId"/> and the ones it dropped recently.
    /// Read-only, so it interleaves with a long snapshot instead of waiting behind it.
    /// </summary>
    [AlwaysInterleave]
    Task<RetainedSnapshots> Retained(string sessionId);

    /// <summary>
    /// Records snapshots a session took before the workspace kept a catalogue (hash, time, safety), unless they were
    /// dropped since; returns the number recorded.
    /// </summary>
    Task<int> Adopt(string sessionId, IReadOnlyList<AdoptedSnapshot> snapshots);

    /// <summary>Forgets <paramref name="sessionId"/>: snapshots no other session recorded are dropped, freed by the next collection.</summary>
    Task<int> Release(string sessionId);

    /// <summary>Disk used by the workspace's store, snapshots kept, sessions.</summary>
    Task<WorkspaceUsage> Usage();

    /// <summary>Applies retention now and deletes the objects no kept snapshot reaches (deletion only, never a repack).</summary>
    Task<CollectionReport> Collect();
}

/// <summary>A snapshot a session recorded before its workspace kept a catalogue.</summary>
[GenerateSerializer, Immutable]
public sealed record AdoptedSnapshot(
    [property: Id(0)] string Hash,
    [property: Id(1)] DateTimeOffset Time,
    [property: Id(2)] bool Safety);

/// <summary>How many files a snapshot holds and how many it skipped.</summary>
[GenerateSerializer, Immutable]
public sealed record SnapshotCounts(
    [property: Id(0)] int Files,
    [property: Id(1)] int Skipped);

/// <summary>What a workspace keeps for one session: the live hashes, and the session's snapshots it dropped recently, with why.</summary>
[GenerateSerializer, Immutable]
public sealed record RetainedSnapshots(
    [property: Id(0)] IReadOnlyList<string> Live,
    [property: Id(1)] IReadOnlyList<DroppedHash> Dropped);

[GenerateSerializer, Immutable]
public sealed record DroppedHash(
    [property: Id(0)] string Hash,
    [property: Id(1)] DropReason Reason);
