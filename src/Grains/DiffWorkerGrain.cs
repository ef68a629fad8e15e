using System.Diagnostics;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>
/// Reads two trees from a workspace's object store and returns their size-capped summary, computed on the silo's
/// diff threads (their number bounds the silo's diff memory) and cached. Stateless: the store is only read, so any
/// number of these may run beside the workspace's single writer.
/// </summary>
[StatelessWorker]
internal sealed class DiffWorkerGrain(IOptions<SnapshotsOptions> options, SummaryCache cache, FileWorkPools pools, WorkspaceStores stores, ILogger<DiffWorkerGrain> logger)
    : Grain, IDiffWorkerGrain
{
    public async Task<DiffSummary> SummarizeAsync(string workspaceId, SnapshotHash from, SnapshotHash to, CancellationToken cancellationToken) =>
        (await SummarizeCore(workspaceId, from, to, cancellationToken)).ToWire();

    public async Task ComputeStepAsync(string workspaceId, SnapshotHash from, SnapshotHash to, string sessionId)
    {
        try
        {
            var summary = await SummarizeCore(workspaceId, from, to, CancellationToken.None);
            var stats = new StepStats(summary.FileCount, summary.Additions, summary.Deletions, summary.Exact);
            await GrainFactory.GetGrain<ISessionSteps>(sessionId).RecordStepAsync(to.Hex, from.Hex, stats);
        }
        catch (Exception e) when (e is EngineException or IOException or InvalidDataException or OrleansException or SnapshotRequestException)
        {
            // The step keeps no stats (history shows null); the session asks again on its next activation.
            GrainLog.StepFailed(logger, e, sessionId, to.Hex);
        }
    }

    private async Task<TreeDiffSummary> SummarizeCore(string workspaceId, SnapshotHash from, SnapshotHash to, CancellationToken cancellationToken)
    {
        RequestChecks.CheckWorkspaceId(workspaceId);
        var (fromId, toId) = (from.ToObjectId(), to.ToObjectId());
        var storeDir = Path.Combine(options.Value.WorkspacesDirectory, workspaceId);
        // A backed store may have nothing cached on this silo yet: its backend says whether it has snapshots.
        if (!Directory.Exists(storeDir) && (stores.Packs is not { } packs || (await packs.Backend.ListAsync(workspaceId, cancellationToken)).Count == 0))
        {
            throw new SnapshotRequestException(RequestError.UnknownSnapshot, $"Workspace {workspaceId} has no snapshots on this silo.");
        }
        var computed = false;
        var started = Stopwatch.StartNew();
        var summary = await cache.GetOrComputeAsync(storeDir, fromId, toId, () =>
        {
            computed = true;
            return pools.Diffs.Run(() =>
            {
                using var activity = SnapshotMetrics.ActivitySource.StartActivity("agentsnapshots.diff");
                var fresh = new DiffSummaryBuilder(stores.OpenForReading(storeDir), options.Value.Summary).Summarize(fromId, toId, cancellationToken);
                cache.Add(storeDir, fromId, toId, fresh);
                SnapshotMetrics.DiffDuration.Record(started.Elapsed.TotalSeconds);
                SnapshotMetrics.DiffBytesStreamed.Add(fresh.Files.Sum(f => f.OldSize + f.NewSize));
                return fresh;
            }, cancellationToken);
        }, cancellationToken);
        (computed ? SnapshotMetrics.SummaryCacheMisses : SnapshotMetrics.SummaryCacheHits).Add(1);
        if (computed) GrainLog.Summarized(logger, workspaceId, fromId, toId, summary.FileCount, started.Elapsed);
        return summary;
    }
}
