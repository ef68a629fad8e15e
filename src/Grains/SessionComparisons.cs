namespace AgentSnapshots;

/// <summary>
/// A session's read-only comparisons, once the session grain checked its id: the paths changed since one of its
/// snapshots, and the summary between two of them (or one and the workspace now). Both refuse a snapshot that is not
/// the session's, and say so when retention dropped it. Its own class so the session grain keeps only its verbs.
/// </summary>
internal sealed class SessionComparisons(SessionRecords history, OwnSnapshots own, TenantRootsCheck roots, IGrainFactory grains, string sessionId)
{
    private string Name => SessionIds.NameOf(sessionId);

    public async Task<ChangesResult> ChangesAsync(SnapshotHash since, string? after, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = history.RequireTracked(Name, "changes");
        roots.BoundWithin(directory);
        var sinceHash = await own.RequireAsync(since, "since");
        return await own.RetentionChecked(() => grains.GetGrain<IWorkspaceGrain>(workspaceId).ChangesAsync(directory, sinceHash, after, cancellationToken), (sinceHash, "since"));
    }

    public async Task<DiffSummary> DiffAsync(SnapshotHash from, SnapshotHash? to, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = history.RequireTracked(Name, "diff");
        var fromHash = await own.RequireAsync(from, "from");
        if (to is null)
        {
            roots.BoundWithin(directory);
        }
        // "Now" is a snapshot of the working tree that the history does not record.
        var toHash = to is { } named
            ? await own.RequireAsync(named, "to")
            : SnapshotHashIds.Recorded((await grains.GetGrain<IWorkspaceGrain>(workspaceId).SnapshotAsync(directory, cancellationToken)).Hash);
        return await own.RetentionChecked(() => grains.GetGrain<IDiffWorkerGrain>(0).SummarizeAsync(workspaceId, fromHash, toHash, cancellationToken),
            (fromHash, "from"), (to, "to"));
    }
}
