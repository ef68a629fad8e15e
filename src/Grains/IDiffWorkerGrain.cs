using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>Computes size-capped summaries from a workspace's object store; stateless, so it scales out per silo. Internal.</summary>
internal interface IDiffWorkerGrain : IGrainWithIntegerKey
{
    [ResponseTimeout(SessionTimeouts.LongOperation)]
    Task<DiffSummary> SummarizeAsync(string workspaceId, SnapshotHash from, SnapshotHash to, CancellationToken cancellationToken = default);

    /// <summary>Computes the stats of a session's step and hands them to the session (<see cref="ISessionSteps"/>).</summary>
    [OneWay]
    Task ComputeStepAsync(string workspaceId, SnapshotHash from, SnapshotHash to, string sessionId);
}
