using AgentSnapshots.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// One agent session: binds to a workspace on its first track and keeps the session's history (hashes, labels,
/// times, counts and each step's stats). Writes go to the workspace's <see cref="IWorkspaceGrain"/>, summaries to
/// <see cref="IDiffWorkerGrain"/>; this grain checks requests and records results. A tenant's session (key
/// <c>tenant@name</c>) touches only workspaces under the tenant's roots (<see cref="TenantWorkspaceRoots"/>): its
/// directory is resolved and checked here, once, and the bound one is checked again by every verb that touches the
/// workspace. Refusals name the session as its caller does (the name, without the tenant).
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

    /// <summary>The longest a step's stats wait in memory for a write.</summary>
    private static readonly TimeSpan StepsWrittenWithin = TimeSpan.FromSeconds(30);

    private SessionRecords _history = null!;
    private IGrainTimer? _stepsWrite;
    private OwnSnapshots _own = null!;

    /// <summary>The grain key: what storage, the workspaces' catalogues and the log know the session by.</summary>
    private string SessionId => this.GetPrimaryKeyString();

    /// <summary>The session's name as its caller knows it (the key without its tenant).</summary>
    private string Name => SessionIds.NameOf(SessionId);

    private IWorkspaceGrain Workspace(string workspaceId) => GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _history = await SessionRecords.LoadAsync(rows, SessionId, state, storage, this.GetGrainId(), logger);
        _own = new OwnSnapshots(_history, SessionId, Name, GrainFactory);
        // Steps whose stats were still being computed when the last activation ended.
        foreach (var pending in _history.PendingSteps.ToList())
        {
            RequestStep(pending);
        }
    }

    public async Task<TrackResult> TrackAsync(string? directory, string? label, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var (session, bound) = (Name, _history.Directory);
        string canonical;
        if (directory is null && bound is not null)
        {
            // A bound session's directory is resolved where it is snapshotted: the workspace grain resolves it again
            // in the same file-thread job (refusing it if it now resolves elsewhere), so resolving it here too would
            // cost a thread-pool hop and the same system calls twice per track.
            canonical = BoundWithinTenantRoots(bound);
        }
        else
        {
            // Resolved once, here, and checked against the tenant's roots as resolved: the workspace grain snapshots
            // this canonical path only if it still resolves to itself, so a symlink swapped in afterwards is refused
            // there, never followed outside the roots.
            canonical = await Task.Run(() => WithinTenantRoots(directory!, SessionRecords.Resolve(session, bound, directory, options.Value)), cancellationToken);
        }
        return await RecordTrack(WorkspaceIdentity.IdFor(canonical), canonical, label, cancellationToken);
    }

    public Task<TrackResult> TrackWorkspaceAsync(string workspace, string? label, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var (binding, workspaceId) = RemoteBinding.For(SessionId, Name, _history.Directory, workspace);
        return RecordTrack(workspaceId, binding, label, cancellationToken);
    }

    /// <summary>Tracks the workspace <paramref name="canonical"/> (a directory, or a remote binding) and records the snapshot.</summary>
    private async Task<TrackResult> RecordTrack(string boundId, string canonical, string? label, CancellationToken cancellationToken)
    {
        // A bound session keeps its workspace's id (a remote workspace's is derived from its tenant and name).
        var workspaceId = _history.WorkspaceId ?? boundId;
        // The workspace writes the history row with its catalogue entry, in one transaction.
        var append = _history.NextAppend(label);
        var recorded = await Recording(Workspace(workspaceId).TrackAsync(canonical, append, cancellationToken));
        var entry = _history.Appended(append, append.RowFor(recorded.Snapshot.Hash, recorded.Snapshot.Files, recorded.Snapshot.SkippedCount, recorded.TakenMs),
            workspaceId, canonical, recorded.DropEpoch)!;
        if (recorded.DropEpoch != _history.SyncedEpoch)
        {
            await PruneDropped(Workspace(workspaceId));
            await _history.SaveAsync();
        }
        GrainLog.Tracked(logger, SessionId, recorded.Snapshot.Hash, recorded.Snapshot.Files, recorded.Snapshot.SkippedCount);
        RequestStep(entry);
        return recorded.Snapshot;
    }

    public async Task<ChangesResult> ChangesAsync(string since, string? after, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var (workspaceId, directory) = _history.RequireTracked(Name, "changes");
        BoundWithinTenantRoots(directory);
        var sinceHash = await _own.RequireAsync(since, "--since");
        return await _own.RetentionChecked(() => Workspace(workspaceId).ChangesAsync(directory, sinceHash, after, cancellationToken), (sinceHash, "--since"));
    }

    public async Task<DiffSummary> DiffAsync(string from, string? to, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var (workspaceId, directory) = _history.RequireTracked(Name, "diff");
        var fromHash = await _own.RequireAsync(from, "--from");
        if (to is null)
        {
            BoundWithinTenantRoots(directory);
        }
        // "Now" is a snapshot of the working tree that the history does not record.
        var toHash = to is null
            ? (await Workspace(workspaceId).SnapshotAsync(directory, cancellationToken)).Hash
            : await _own.RequireAsync(to, "--to");
        return await _own.RetentionChecked(() => GrainFactory.GetGrain<IDiffWorkerGrain>(0).SummarizeAsync(workspaceId, fromHash, toHash, cancellationToken),
            (fromHash, "--from"), (to is null ? "" : toHash, "--to"));
    }

    public Task<RestoreResult> RestoreAsync(string to, CancellationToken cancellationToken) => RestoreCore(to, null, "restore", cancellationToken);

    /// <summary>Absolute paths inside the bound workspace are taken as relative to it (as the SDK and the API send them).</summary>
    public Task<RestoreResult> RevertAsync(string to, IReadOnlyList<string> files, CancellationToken cancellationToken) =>
        RestoreCore(to, SessionErrors.RevertPaths(_history.Directory is { } workspace && files is not null
            ? [.. files.Select(f => SessionPaths.RelativeToWorkspace(workspace, f))]
            : files), "revert", cancellationToken);

    public async Task<SessionHistory> HistoryAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        if (_history.WorkspaceId is { } workspaceId && _history.Count > 0 && await PruneDropped(Workspace(workspaceId)))
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
        await PruneDropped(workspace);
        await _history.SaveAsync();
        return report;
    }

    public async Task<DeletedSession> DeleteAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var workspaceId = _history.WorkspaceId;
        var directory = _history.Directory;
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

    /// <summary>
    /// Keeps the step's stats in memory, written with the next track's transaction (no write of their own), or within
    /// <see cref="StepsWrittenWithin"/>, or at deactivation. A crash before then loses only stats, which the next
    /// activation computes again (the step is still pending in storage).
    /// </summary>
    public Task RecordStepAsync(string hash, string from, StepStats stats)
    {
        if (_history.SetStep(hash, from, stats))
        {
            _stepsWrite ??= this.RegisterGrainTimer(async _ =>
            {
                _stepsWrite?.Dispose();
                _stepsWrite = null;
                await _history.SaveAsync();
            }, StepsWrittenWithin, Timeout.InfiniteTimeSpan);
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Stats recorded since the last write (a deleted session has nothing left to write).
        if (_history.HasUnsaved && _history.WorkspaceId is not null) await _history.SaveAsync();
    }

    private async Task<RestoreResult> RestoreCore(string to, IReadOnlyList<string>? files, string verb, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var (workspaceId, directory) = _history.RequireTracked(Name, verb);
        BoundWithinTenantRoots(directory);
        var workspace = Workspace(workspaceId);
        var toHash = await _own.RequireAsync(to, "--to");
        var label = SafetyLabels.Before(verb, toHash);

        // The safety snapshot is in the history (and the workspace's catalogue) before anything is touched: a restore
        // that fails halfway, or a silo that dies during it, leaves the way back listed. The workspace takes its own
        // safety snapshot too; it is the same tree unless the workspace changed in between, and then it is recorded too.
        var beforeAppend = _history.NextAppend(label);
        var before = await Recording(workspace.TrackAsync(directory, beforeAppend, cancellationToken));
        RequestStep(_history.Appended(beforeAppend, beforeAppend.RowFor(before.Snapshot.Hash, before.Snapshot.Files, before.Snapshot.SkippedCount, before.TakenMs),
            workspaceId, directory, before.DropEpoch)!);

        // The workspace writes the restore's own safety snapshot to the history only if it differs from the one above.
        var safetyAppend = _history.NextAppend(label);
        var restored = await Recording(_own.RetentionChecked(() => workspace.RestoreAsync(directory, toHash, files, safetyAppend, cancellationToken), (toHash, "--to")));
        var result = restored.Result;
        var safety = string.Equals(result.Safety, before.Snapshot.Hash, StringComparison.Ordinal)
            ? null
            : safetyAppend.RowFor(result.Safety, restored.SafetyFiles, restored.SafetySkipped, restored.TakenMs);
        if (_history.Appended(safetyAppend, safety, workspaceId, directory, restored.DropEpoch) is { } entry)
        {
            RequestStep(entry);
        }
        GrainLog.SessionRestored(logger, SessionId, verb, toHash, result.Safety, result.WrittenCount, result.DeletedCount);
        return result;
    }

    /// <summary>
    /// <paramref name="canonical"/> (resolved from <paramref name="given"/>), or OutsideWorkspaceRoots if the session is
    /// a tenant's and it is not under the tenant's roots. Reads the file system: runs off the grain's thread.
    /// </summary>
    private string WithinTenantRoots(string given, string canonical)
    {
        if (TenantNotCovering(canonical) is { } tenant)
        {
            throw SessionErrors.OutsideTenantRoots(tenant, given, tenantRoots.Value.Of(tenant));
        }
        return canonical;
    }

    /// <summary>
    /// The bound directory, or OutsideWorkspaceRoots if the session is a tenant's and it is no longer under the tenant's
    /// roots (they changed since it was bound). A lexical check against the roots resolved now: the workspace grain
    /// refuses the directory if it no longer resolves to itself, so together nothing outside the roots is touched.
    /// Resolving the tenant's few roots is cheap enough for the grain's thread.
    /// </summary>
    private string BoundWithinTenantRoots(string bound)
    {
        // A remote workspace is the tenant's by its id: no directory of the silo is touched.
        if (WorkspaceNames.IsBinding(bound)) return bound;
        if (TenantNotCovering(bound) is { } tenant)
        {
            throw SessionErrors.BoundOutsideTenantRoots(Name, tenant, bound, tenantRoots.Value.Of(tenant));
        }
        return bound;
    }

    /// <summary>The session's tenant if it has one whose roots do not cover <paramref name="directory"/>; else null.</summary>
    private string? TenantNotCovering(string directory) =>
        SessionIds.TenantOf(SessionId) is { } tenant && !tenantRoots.Value.Covers(tenant, directory) ? tenant : null;

    /// <summary>
    /// Awaits a workspace call that writes this session's rows. If it fails, the rows may or may not have been written
    /// (a restore's safety snapshot is recorded even when the restore fails, a reply may be lost): the activation
    /// ends, so the next call reads the history from storage instead of trusting this copy.
    /// </summary>
    private async Task<T> Recording<T>(Task<T> call)
    {
        try
        {
            return await call;
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>Asks a diff worker for the step's stats; it hands them back through <see cref="RecordStepAsync"/>.</summary>
    private void RequestStep(SessionSnapshot entry)
    {
        if (entry.PendingFrom is { } from && _history.WorkspaceId is { } workspaceId)
        {
            GrainFactory.GetGrain<IDiffWorkerGrain>(0).ComputeStepAsync(workspaceId, from, entry.Hash, SessionId).Ignore();
        }
    }

    /// <summary>Prunes the history of what retention dropped, if the workspace's drop epoch moved since the last prune.</summary>
    private async Task<bool> PruneDropped(IWorkspaceGrain workspace)
    {
        var retained = await workspace.RetainedAsync(SessionId);
        if (retained.DropEpoch == _history.SyncedEpoch) return false;
        if (_history.Prune(retained) is var gone and > 0)
        {
            GrainLog.Pruned(logger, SessionId, gone);
        }
        return true;
    }
}
