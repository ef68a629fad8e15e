using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// A workspace grain's operations on a remote workspace, through the agent connected for it (see
/// <see cref="IWorkspaceAgentGrain"/>): snapshots and restores run in the agent, objects land in the grain's store.
/// No agent connected, or its silo gone: <see cref="ServiceError.WorkspaceOffline"/> (retry once one is).
/// </summary>
internal sealed class RemoteWorkspace(IGrainFactory grains, string workspaceId, string storeDirectory, string binding)
{
    private string Name => WorkspaceNames.NameOf(binding);

    /// <summary>The agent snapshots its directory and sends what the store lacks; the tree is in the store when this returns.</summary>
    public async Task<SnapshotTaken> SnapshotAsync(CancellationToken cancellationToken)
    {
        var link = await LinkAsync();
        var result = await Call(() => link.TrackAsync(storeDirectory, cancellationToken));
        return Taken(result);
    }

    /// <summary>
    /// A fresh snapshot, then the paths that differ from <paramref name="since"/>, compared on the snapshot threads in
    /// the store, which <paramref name="store"/> opens after the agent's objects landed in it.
    /// </summary>
    public async Task<ChangedPaths> ChangesAsync(Func<ObjectStore> store, GitObjectId since, FileWorkPools pools, CancellationToken cancellationToken)
    {
        var now = await SnapshotAsync(cancellationToken);
        var opened = store();
        return await pools.Snapshots.Run(() => RemoteChanges.Between(opened, since, now.Tree, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// A fresh snapshot (the base the agent restores against), then the restore: the outcome (its safety snapshot is
    /// the agent's, in the store when this returns).
    /// </summary>
    public async Task<RestoreOutcome> RestoreAsync(GitObjectId to, IReadOnlyList<string>? files, CancellationToken cancellationToken)
    {
        var link = await LinkAsync();
        var before = Taken(await Call(() => link.TrackAsync(storeDirectory, cancellationToken)));
        var result = await Call(() => link.RestoreAsync(storeDirectory, to.ToHex(), files, before.Hash, cancellationToken));
        var safety = Taken(result);
        return new RestoreOutcome(to, safety, Padded(result.Written, result.WrittenCount), Padded(result.Deleted, result.DeletedCount));
    }

    private async Task<IWorkspaceAgentLink> LinkAsync() =>
        await grains.GetGrain<IWorkspaceAgentGrain>(workspaceId).CurrentAsync() ?? throw Offline();

    private async Task<AgentResult> Call(Func<Task<AgentResult>> call)
    {
        AgentResult result;
        try
        {
            result = await call();
        }
        catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or ClientNotAvailableException)
        {
            // The silo holding the agent's socket is gone (the agent reconnects elsewhere) or the connection closed.
            throw Offline();
        }
        if (result.FailureCode is { } code)
        {
            throw Enum.TryParse<EngineError>(code, out var error)
                ? new EngineException(error, result.FailureMessage ?? code)
                : new SnapshotServiceException(ServiceError.AgentFailed, $"The agent of workspace '{Name}' failed: {result.FailureMessage}");
        }
        return result;
    }

    private SnapshotServiceException Offline() => new(ServiceError.WorkspaceOffline,
        $"No agent serves workspace '{Name}' now: start 'agentsnapshots agent --workspace {Name} --dir DIR' beside its files (or let it reconnect), then retry.");

    private static SnapshotTaken Taken(AgentResult result) =>
        new(GitObjectId.Parse(result.Tree), result.Files, Padded([.. result.Skipped.Select(s => new SkippedPath(s.Path, (SkipCause)s.Cause))], result.SkippedCount));

    /// <summary>The listed items, and as many placeholders as were not listed, so counts read from the list hold.</summary>
    private static List<T> Padded<T>(IReadOnlyList<T> listed, int count)
    {
        var list = new List<T>(listed);
        if (count > list.Count && list.Count > 0) list.AddRange(Enumerable.Repeat(listed[^1], count - list.Count));
        return list;
    }
}
