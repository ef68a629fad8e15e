using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>
/// A workspace agent's connection, on the silo that holds its socket, as a grain observer: the workspace's grain
/// (on any silo) sends it commands. Objects go from the agent into <c>storeDirectory</c> (the workspace's store, the
/// same path on every silo) within the calling grain's turn, so the grain stays the store's single writer.
/// </summary>
public interface IWorkspaceAgentLink : IGrainObserver
{
    /// <summary>The agent snapshots its directory and sends what the store lacks.</summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<AgentResult> TrackAsync(string storeDirectory, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends the agent what its directory lacks of <paramref name="to"/> (relative to <paramref name="safety"/>, a tree
    /// the store and the agent hold), and the agent restores it, sending its own safety snapshot back.
    /// </summary>
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<AgentResult> RestoreAsync(string storeDirectory, string to, IReadOnlyList<string>? files, string safety, CancellationToken cancellationToken = default);

    /// <summary>A newer agent took the workspace: this connection closes.</summary>
    [OneWay]
    Task ReplacedAsync();
}

/// <summary>
/// What an agent did: the tree it sent (a restore's safety snapshot), its counts, and for a restore what it wrote;
/// or the engine error it reported (<see cref="FailureCode"/>, an engine error name).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentResult(
    [property: Id(0)] string Tree,
    [property: Id(1)] int Files,
    [property: Id(2)] int SkippedCount,
    [property: Id(3)] IReadOnlyList<AgentSkippedPath> Skipped,
    [property: Id(4)] IReadOnlyList<string> Written,
    [property: Id(5)] IReadOnlyList<string> Deleted,
    [property: Id(6)] int WrittenCount,
    [property: Id(7)] int DeletedCount,
    [property: Id(8)] long SentObjects,
    [property: Id(9)] long SentBytes,
    [property: Id(10)] string? FailureCode = null,
    [property: Id(11)] string? FailureMessage = null);

/// <summary>A path the agent's snapshot left out, and why (the engine's SkipCause).</summary>
[GenerateSerializer, Immutable]
public sealed record AgentSkippedPath([property: Id(0)] string Path, [property: Id(1)] int Cause);
