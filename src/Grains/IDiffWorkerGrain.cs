namespace AgentSnapshots;

/// <summary>Computes size-capped summaries from a workspace's object store; stateless, so it scales out per silo.</summary>
public interface IDiffWorkerGrain : IGrainWithIntegerKey
{
    Task<DiffSummary> Summarize(string workspaceId, string from, string to);
}
