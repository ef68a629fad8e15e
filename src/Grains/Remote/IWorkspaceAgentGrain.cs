using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>
/// Which connection serves a remote workspace now (key: the workspace's id, derived from tenant and name): at most one;
/// a new one replaces the old, which is told to close. Held in memory: the silo holding a connection attaches it
/// again every half minute, so a restarted or moved activation learns it back.
/// </summary>
public interface IWorkspaceAgentGrain : IGrainWithStringKey
{
    /// <summary>Makes <paramref name="connection"/> the workspace's agent; false if a newer one replaced it already (it closes).</summary>
    Task<bool> AttachAsync(IWorkspaceAgentLink link, Guid connection);

    Task DetachAsync(Guid connection);

    [AlwaysInterleave]
    Task<IWorkspaceAgentLink?> CurrentAsync();
}
