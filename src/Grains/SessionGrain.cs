using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// One agent session: binds to a workspace on its first track and keeps the session's history (hashes, labels, times,
/// counts and each step's stats). This grain checks each request's session id and hands the verb to the class that
/// does it (<see cref="SessionTrack"/>, <see cref="SessionComparisons"/>, <see cref="SessionRestore"/>; a tenant's
/// roots in <see cref="TenantRootsCheck"/>), so each flow reads on its own; writes go to the workspace's
/// <see cref="IWorkspaceGrain"/>, summaries to <see cref="IDiffWorkerGrain"/>.
/// </summary>
internal sealed class SessionGrain(
    [PersistentState("session", SessionGrain.StorageName)] IPersistentState<SessionState> state,
    IOptions<SnapshotsOptions> options,
    IOptions<TenantWorkspaceRoots> tenantRoots,
    [FromKeyedServices(SessionGrain.StorageName)] IGrainStorage storage,
    ISnapshotRows rows,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain, ISessionSteps
{
    /// <summary>The grain storage provider holding sessions and workspaces.</summary>
    public const string StorageName = SnapshotsStorage.Name;

    private SessionRecords _history = null!;
    private SessionStepStats _steps = null!;
    private SessionRestore _restore = null!;
    private SessionTrack _track = null!;
    private SessionComparisons _comparisons = null!;

    /// <summary>The grain key: what storage, the workspaces' catalogues and the log know the session by.</summary>
    private string SessionId => this.GetPrimaryKeyString();

    /// <summary>The session's name as its caller knows it (the key without its tenant).</summary>
    private string Name => SessionIds.NameOf(SessionId);

    private IWorkspaceGrain Workspace(string workspaceId) => GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _history = await SessionRecords.LoadAsync(rows, SessionId, state, storage, this.GetGrainId(), logger);
        var own = new OwnSnapshots(_history, SessionId, Name, GrainFactory);
        _steps = new SessionStepStats(this, GrainFactory, _history, SessionId);
        var roots = new TenantRootsCheck(SessionId, tenantRoots.Value);
        var writes = new SessionWrites(DeactivateOnIdle);
        _track = new SessionTrack(_history, roots, _steps, writes, GrainFactory, options.Value, SessionId, logger);
        _comparisons = new SessionComparisons(_history, own, roots, GrainFactory, SessionId);
        _restore = new SessionRestore(_history, own, roots, _steps, writes, GrainFactory, SessionId, logger);
        // Steps whose stats were still being computed when the last activation ended.
        foreach (var pending in _history.PendingSteps.ToList())
        {
            _steps.Request(pending);
        }
    }

    public async Task<TrackResult> TrackAsync(string? directory, string? label, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        return await _track.DirectoryAsync(directory, label, cancellationToken);
    }

    public Task<TrackResult> TrackWorkspaceAsync(string workspace, string? label, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        return _track.RemoteAsync(workspace, label, cancellationToken);
    }

    public async Task<ChangesResult> ChangesAsync(SnapshotHash since, string? after, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        return await _comparisons.ChangesAsync(since, after, cancellationToken);
    }

    public async Task<DiffSummary> DiffAsync(SnapshotHash from, SnapshotHash? to, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        return await _comparisons.DiffAsync(from, to, cancellationToken);
    }

    public Task<RestoreResult> RestoreAsync(SnapshotHash to, CancellationToken cancellationToken) => RestoreCore(to, null, "restore", cancellationToken);

    /// <summary>Absolute paths inside the bound workspace are taken as relative to it (as the SDK and the API send them).</summary>
    public Task<RestoreResult> RevertAsync(SnapshotHash to, IReadOnlyList<string> files, CancellationToken cancellationToken) =>
        RestoreCore(to, SessionErrors.RevertPaths(_history.Directory is { } workspace && files is not null
            ? [.. files.Select(f => SessionPaths.RelativeToWorkspace(workspace, f))]
            : files), "revert", cancellationToken);

    public async Task<SessionHistory> HistoryAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        if (_history.WorkspaceId is { } workspaceId && _history.Count > 0 && await _history.PruneDroppedAsync(Workspace(workspaceId), logger))
        {
            await _history.SaveAsync();
        }
        return new SessionHistory(Name, _history.Directory, [.. _history.Entries.Select(WireMapping.ToWire)]);
    }

    public Task<WorkspaceUsage> UsageAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        return Workspace(_history.RequireBound(Name, "usage")).UsageAsync();
    }

    public async Task<CollectionReport> CollectAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var workspace = Workspace(_history.RequireBound(Name, "gc"));
        var report = await workspace.CollectAsync(cancellationToken);
        await _history.PruneDroppedAsync(workspace, logger);
        await _history.SaveAsync();
        return report;
    }

    public async Task<DeletedSession> DeleteAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var (workspaceId, directory) = (_history.WorkspaceId, _history.Directory);
        var released = _history.Entries.Select(s => s.Hash).Distinct(StringComparer.Ordinal).Count();
        if (workspaceId is not null)
        {
            // The workspace forgets the session first: a failure after it leaves a session whose history the next
            // call prunes, never a workspace keeping snapshots for a session that is gone.
            released = await Workspace(workspaceId).ReleaseAsync(SessionId);
        }
        await _history.ClearAsync(state, storage, this.GetGrainId());
        DeactivateOnIdle();
        GrainLog.Deleted(logger, SessionId, workspaceId, released);
        return new DeletedSession(Name, workspaceId, directory, released);
    }

    /// <summary>Kept by <see cref="SessionStepStats.Record"/>, written with the next track or within its time.</summary>
    public Task RecordStepAsync(string hash, string from, StepStats stats)
    {
        _steps.Record(hash, from, stats);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Stats recorded since the last write (a deleted session has nothing left to write).
        if (_history.HasUnsaved && _history.WorkspaceId is not null) await _history.SaveAsync();
    }

    private async Task<RestoreResult> RestoreCore(SnapshotHash to, IReadOnlyList<string>? files, string verb, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        return await _restore.RunAsync(to, files, verb, cancellationToken);
    }
}
