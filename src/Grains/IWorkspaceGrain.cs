using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>
/// The sole writer of one workspace directory (key: workspace id, derived from the directory's canonical path).
/// Requests to one workspace are serialised by the grain; its object store is written by no one else. Internal:
/// only session grains call it, after their own checks (the session ids it is given are their own, checked keys).
/// </summary>
internal interface IWorkspaceGrain : IGrainWithStringKey
{
    /// <summary>Snapshots the working tree without recording it for a session (a diff against "now").</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<TrackResult> SnapshotAsync(string directory, CancellationToken cancellationToken = default);

    /// <summary>Paths that differ between <paramref name="since"/> and the working tree now, after path <paramref name="after"/>.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<ChangesResult> ChangesAsync(string directory, SnapshotHash since, string? after, CancellationToken cancellationToken = default);

    /// <summary>
    /// Snapshots the working tree and records it as one of the session's, in the same turn: the catalogue entry and
    /// what <paramref name="session"/> asks for (its history row, stats, binding) in one transaction.
    /// </summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<Recorded> TrackAsync(string directory, SessionAppend session, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the working tree match <paramref name="to"/> for <paramref name="files"/> (null: every path either
    /// covers), after a safety snapshot that it records as one of the session's (in its history too, as
    /// <paramref name="session"/> says, unless it is the session's last snapshot).
    /// </summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<Restored> RestoreAsync(string directory, SnapshotHash to, IReadOnlyList<string>? files, SessionAppend session, CancellationToken cancellationToken = default);

    /// <summary>The hashes kept for <paramref name="sessionId"/>. Read-only, so it interleaves with a long snapshot.</summary>
    [AlwaysInterleave]
    Task<Retained> RetainedAsync(string sessionId);

    /// <summary>The message saying why retention dropped <paramref name="hash"/> of the session, or null if it did not.</summary>
    [AlwaysInterleave]
    Task<string?> WhyDroppedAsync(string sessionId, SnapshotHash hash, string argument);

    /// <summary>Forgets <paramref name="sessionId"/>: snapshots no other session recorded are freed by the next collection.</summary>
    Task<int> ReleaseAsync(string sessionId);

    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<WorkspaceUsage> UsageAsync();

    /// <summary>Applies retention now and deletes the objects no kept snapshot reaches.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<CollectionReport> CollectAsync(CancellationToken cancellationToken = default);
}

/// <summary>A snapshot recorded for a session, the workspace's drop epoch after it (see <see cref="Retained"/>), and its history row's time.</summary>
[GenerateSerializer, Immutable]
internal sealed record Recorded(
    [property: Id(0)] TrackResult Snapshot,
    [property: Id(1)] long DropEpoch,
    [property: Id(2)] long TakenMs);

/// <summary>What a restore did, the counts of its safety snapshot, and the drop epoch.</summary>
[GenerateSerializer, Immutable]
internal sealed record Restored(
    [property: Id(0)] RestoreResult Result,
    [property: Id(1)] int SafetyFiles,
    [property: Id(2)] int SafetySkipped,
    [property: Id(3)] long DropEpoch,
    [property: Id(4)] long TakenMs);

/// <summary>The hashes a workspace keeps for one session, and its drop epoch (it grows whenever retention drops any).</summary>
[GenerateSerializer, Immutable]
internal sealed record Retained(
    [property: Id(0)] IReadOnlyList<string> Live,
    [property: Id(1)] long DropEpoch);
