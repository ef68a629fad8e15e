using System.Diagnostics;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>
/// Reads two trees from a workspace's object store and returns their size-capped summary. Stateless: the store
/// is only read, so any number of these may run beside the workspace's single writer.
/// </summary>
[StatelessWorker]
public sealed partial class DiffWorkerGrain(IOptions<SnapshotsOptions> options, SummaryCache cache, DiffGate gate, ILogger<DiffWorkerGrain> logger) : Grain, IDiffWorkerGrain
{
    public async Task<DiffSummary> Summarize(string workspaceId, string from, string to)
    {
        RequestChecks.CheckWorkspaceId(workspaceId);
        var fromId = WorkspaceIdentity.ParseHash(from, "from");
        var toId = WorkspaceIdentity.ParseHash(to, "to");
        var storeDir = Path.Combine(options.Value.WorkspacesDirectory, workspaceId);
        if (!Directory.Exists(storeDir))
        {
            throw new SnapshotRequestException(RequestError.UnknownSnapshot,
                $"Workspace {workspaceId} has no snapshots on this silo: track it first.");
        }

        if (cache.TryGet(storeDir, fromId, toId, out var cached))
        {
            SnapshotMetrics.SummaryCacheHits.Add(1);
            return cached.ToWire();
        }

        SnapshotMetrics.SummaryCacheMisses.Add(1);
        using var activity = SnapshotMetrics.ActivitySource.StartActivity("agentsnapshots.diff");

        using var slot = await gate.EnterAsync();
        if (cache.TryGet(storeDir, fromId, toId, out cached))
        {
            // Computed by another caller while this one waited for a slot.
            return cached.ToWire();
        }
        var started = Stopwatch.StartNew();
        var summary = await Task.Run(() =>
        {
            var store = ObjectStore.Open(storeDir);
            return new DiffSummaryBuilder(store, options.Value.Summary).Summarize(fromId, toId);
        });
        cache.Add(storeDir, fromId, toId, summary);
        var elapsed = started.Elapsed;
        SnapshotMetrics.DiffDuration.Record(elapsed.TotalSeconds);
        SnapshotMetrics.DiffBytesStreamed.Add(summary.Files.Sum(f => f.OldSize + f.NewSize));
        LogSummarized(workspaceId, fromId, toId, summary.FileCount, elapsed);
        return summary.ToWire();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Summarized {WorkspaceId} {From}..{To}: {FileCount} files in {Elapsed}")]
    private partial void LogSummarized(string workspaceId, GitObjectId from, GitObjectId to, int fileCount, TimeSpan elapsed);
}
