using System.Diagnostics;
using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots;

/// <summary>
/// The sole writer of one workspace (key: <c>WorkspaceIdentity.IdFor(directory)</c>): holds the engine's
/// <see cref="Workspace"/> and runs its blocking file work off the scheduler threads, one request at a time.
/// </summary>
public sealed partial class WorkspaceGrain(
    [PersistentState("workspace", SessionGrain.StorageName)] IPersistentState<WorkspaceState> state,
    IOptions<SnapshotsOptions> options,
    ILogger<WorkspaceGrain> logger) : Grain, IWorkspaceGrain
{
    private const int RecentCountsKept = 64;

    private readonly Dictionary<string, SnapshotCounts> _recentCounts = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();
    private Workspace? _workspace;
    private WorkspaceLock? _lock;

    /// <summary>Takes the store's single-writer lock, so a duplicate activation elsewhere (failover) waits or fails retryably.</summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        SessionIds.CheckWorkspaceId(key);
        var storeDir = Path.Combine(options.Value.WorkspacesDirectory, key);
        _lock = ServiceProvider.GetService(typeof(WorkspaceLockSet)) is WorkspaceLockSet locks
            ? await locks.AcquireAsync(storeDir, WorkspaceLock.DefaultWait, cancellationToken)
            : await WorkspaceLock.AcquireAsync(storeDir, WorkspaceLock.DefaultWait, cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _lock?.Dispose();
        _lock = null;
        return Task.CompletedTask;
    }

    public async Task<TrackResult> Snapshot(string directory)
    {
        var workspace = await Open(directory);
        using var activity = SnapshotMetrics.ActivitySource.StartActivity("agentsnapshots.snapshot");
        var started = Stopwatch.GetTimestamp();
        var result = await Task.Run(() => workspace.Snapshot());
        SnapshotMetrics.SnapshotDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        Remember(result);
        return result;
    }

    public async Task<ChangesResult> Changes(string directory, string since)
    {
        var sinceId = WorkspaceIdentity.ParseHash(since, "since");
        var workspace = await Open(directory);
        return await Task.Run(() => workspace.Changes(sinceId));
    }

    public async Task<RestoreResult> Restore(string directory, string to, IReadOnlyList<string>? files)
    {
        var toId = WorkspaceIdentity.ParseHash(to, "to");
        var scope = files?.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();
        var workspace = await Open(directory);
        if (!workspace.HasTree(toId))
        {
            throw new SnapshotRequestException(RequestError.UnknownSnapshot,
                $"Snapshot {toId} is not in the store of workspace '{directory}'; list the session's snapshots with 'history'.");
        }
        var started = Stopwatch.StartNew();
        var result = await Task.Run(() =>
        {
            // The engine's safety snapshot reports only its hash; a snapshot just before gives its counts
            // (incremental, so the engine's own one re-reads nothing and yields the same tree).
            Remember(workspace.Snapshot());
            return workspace.Restore(toId, scope);
        });
        var elapsed = started.Elapsed;
        var key = this.GetPrimaryKeyString();
        LogRestored(key, to, result.Safety, result.Written.Count, result.Deleted.Count, elapsed);
        return result;
    }

    public Task<SnapshotCounts?> CountsOf(string hash) =>
        Task.FromResult(_recentCounts.GetValueOrDefault(hash?.ToLowerInvariant() ?? ""));

    private void Remember(TrackResult result)
    {
        lock (_recentCounts)
        {
            if (_recentCounts.TryAdd(result.Hash, new SnapshotCounts(result.Files, result.Skipped.Count)))
            {
                _recentOrder.Enqueue(result.Hash);
                if (_recentOrder.Count > RecentCountsKept)
                {
                    _recentCounts.Remove(_recentOrder.Dequeue());
                }
            }
        }
    }

    /// <summary>The engine workspace, opened on first use after checking that this grain's key belongs to the directory.</summary>
    private async Task<Workspace> Open(string directory)
    {
        var key = this.GetPrimaryKeyString();
        var canonical = await Task.Run(() => WorkspaceIdentity.ResolveDirectory(directory, options.Value.EffectiveWorkspaceRoots));
        if (!string.Equals(canonical, directory, StringComparison.Ordinal) || !string.Equals(WorkspaceIdentity.IdFor(canonical), key, StringComparison.Ordinal))
        {
            throw new SnapshotRequestException(RequestError.WorkspaceMismatch,
                $"Workspace {key} is not the workspace of {directory}: address the workspace by the id of its canonical directory.");
        }

        if (_workspace is not null)
        {
            return _workspace;
        }

        _workspace = await Task.Run(() => Workspace.Open(canonical, options.Value, logger));
        if (state.State.Directory is null)
        {
            state.State.Directory = canonical;
            await state.WriteStateAsync();
        }
        LogOpened(key, canonical);
        return _workspace;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} opened for {Directory}")]
    private partial void LogOpened(string workspaceId, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} restored to {To} (safety {Safety}): {Written} written, {Deleted} deleted in {Elapsed}")]
    private partial void LogRestored(string workspaceId, string to, string safety, int written, int deleted, TimeSpan elapsed);
}
