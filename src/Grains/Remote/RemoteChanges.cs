using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>The changes of a remote workspace: compared in the store, where both trees are once the agent sent "now".</summary>
internal static class RemoteChanges
{
    public static ChangedPaths Between(ObjectStore store, GitObjectId since, GitObjectId now, CancellationToken cancellationToken)
    {
        if (!store.Contains(since) || store.ReadHeader(since).Type != "tree")
        {
            throw new EngineException(EngineError.UnknownSnapshot, $"Snapshot {since} is not in the store of this workspace.");
        }
        return new ChangedPaths(since, now, [.. TreeComparer.Compare(store, since, now, cancellationToken).Select(c => c.Path)]);
    }
}
