namespace AgentSnapshots;

/// <summary>
/// The hashes a session may name: only its own snapshots. One that retention dropped meanwhile is reported as
/// removed, with the reason the workspace recorded, rather than as unknown or as a failure of the call that met it.
/// Refusals name the session as its caller does (<paramref name="sessionName"/>).
/// </summary>
internal sealed class OwnSnapshots(SessionRecords history, string sessionId, string sessionName, IGrainFactory grains)
{
    /// <summary><paramref name="hash"/>, once it is known to be one of this session's snapshots.</summary>
    public async Task<SnapshotHash> RequireAsync(SnapshotHash hash, string argument)
    {
        if (!history.Contains(hash.Hex))
        {
            throw await WhyDropped(hash, argument) is { } removed
                ? SessionErrors.Removed(removed)
                : SessionErrors.NotOurs(sessionName, argument, hash.Hex);
        }
        return hash;
    }

    /// <summary>
    /// Runs <paramref name="call"/>; if it fails because a collection removed one of <paramref name="hashes"/> (null: none named)
    /// meanwhile, reports that as UnknownSnapshot with the retention reason instead of a failure.
    /// </summary>
    public async Task<T> RetentionChecked<T>(Func<Task<T>> call, params (SnapshotHash? Hash, string Argument)[] hashes)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is SnapshotServiceException { Error: ServiceError.MissingObject } or SnapshotRequestException { Error: RequestError.UnknownSnapshot })
        {
            foreach (var (hash, argument) in hashes)
            {
                if (hash is { } named && await WhyDropped(named, argument) is { } message)
                {
                    throw SessionErrors.Removed(message);
                }
            }
            throw;
        }
    }

    private async Task<string?> WhyDropped(SnapshotHash hash, string argument) =>
        history.WorkspaceId is { } workspaceId
            ? await grains.GetGrain<IWorkspaceGrain>(workspaceId).WhyDroppedAsync(sessionId, hash, argument)
            : null;
}
