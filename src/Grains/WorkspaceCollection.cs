using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// A workspace's store: its usage, and retention and collection, on demand or automatically after <c>CollectEvery</c>
/// recorded snapshots. The automatic one runs on a one-shot grain timer, in a turn of its own, so no track's reply
/// waits for it and no snapshot is half-written while it runs. Its own class so the workspace grain keeps only its verbs.
/// </summary>
internal sealed class WorkspaceCollection(IGrainBase grain, WorkspaceCatalogue catalogue, WorkspaceDirectory directory, SnapshotsOptions options, FileWorkPools pools, string key, ILogger logger)
{
    private IGrainTimer? _timer;

    public async Task<WorkspaceUsage> UsageAsync()
    {
        var store = directory.Store();
        var usage = await pools.Snapshots.Run(() => StoreCollector.Usage(store));
        return new WorkspaceUsage(key, catalogue.Directory, usage.Objects, usage.Bytes, catalogue.Count, catalogue.SessionCount);
    }

    /// <summary>Applies retention now and deletes the objects no kept snapshot reaches.</summary>
    public async Task<CollectionReport> CollectAsync(CancellationToken cancellationToken)
    {
        // This collection does what a pending automatic one would; left pending, it would change the store right
        // after this one reported it.
        CancelPending();
        var transient = directory.Opened?.RecentTrees(options.Retention.Grace) ?? [];
        var outcome = await catalogue.CollectAsync(directory.Store(), options.Retention, transient, pools.Snapshots, cancellationToken);
        if (outcome.Remaining.Bytes > options.Retention.MaxBytes)
        {
            GrainLog.OverMaxBytes(logger, key, outcome.Remaining.Bytes, options.Retention.MaxBytes);
        }
        GrainLog.Collected(logger, key, outcome.DroppedSnapshots, outcome.ObjectsDeleted, outcome.BytesFreed, outcome.Remaining.Bytes);
        return new CollectionReport(key, outcome.DroppedSnapshots, outcome.ObjectsDeleted, outcome.BytesFreed,
            new StoreSize(outcome.Remaining.Objects, outcome.Remaining.Bytes));
    }

    /// <summary>After <c>CollectEvery</c> recorded snapshots, a one-shot timer runs retention and collection in a turn of its own.</summary>
    public void ScheduleIfDue()
    {
        var every = options.Retention.CollectEvery;
        if (every <= 0 || catalogue.RecordedSinceCollection < every || _timer is not null)
        {
            return;
        }
        _timer = grain.RegisterGrainTimer(async _ =>
        {
            CancelPending();
            try
            {
                await CollectAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EngineException or OrleansException)
            {
                GrainLog.CollectionFailed(logger, e, key);
            }
        }, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);
    }

    private void CancelPending()
    {
        _timer?.Dispose();
        _timer = null;
    }
}
