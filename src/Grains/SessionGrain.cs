using AgentSnapshots.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// One agent session: binds to a workspace on its first track and keeps the session's history (hashes, labels,
/// times, counts and each step's stats). Writes go to the workspace's <see cref="IWorkspaceGrain"/>, summaries to
/// <see cref="IDiffWorkerGrain"/>; this grain checks requests and records results.
/// </summary>
internal sealed class SessionGrain(
    [PersistentState("session", SessionGrain.StorageName)] IPersistentState<SessionState> state,
    IOptions<SnapshotsOptions> options,
    [FromKeyedServices(SessionGrain.StorageName)] IGrainStorage storage,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain, ISessionSteps
{
    /// <summary>The grain storage provider holding sessions and workspaces.</summary>
    public const string StorageName = SnapshotsStorage.Name;

    private SessionRecords _history = null!;

    private string SessionId => this.GetPrimaryKeyString();

    private IWorkspaceGrain Workspace(string workspaceId) => GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _history = await SessionRecords.LoadAsync(storage, this.GetGrainId(), state);
        // Steps whose stats were still being computed when the last activation ended.
        foreach (var pending in _history.PendingSteps.ToList())
        {
            RequestStep(pending);
        }
    }

    public async Task<TrackResult> Track(string? directory, string? label, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var (session, bound) = (SessionId, _history.Directory);
        var canonical = await Task.Run(() => SessionRecords.Resolve(session, bound, directory, options.Value), cancellationToken);
        var workspaceId = WorkspaceIdentity.IdFor(canonical);
        var recorded = await Workspace(workspaceId).Track(canonical, SessionId, cancellationToken);
        var bind = _history.Bind(workspaceId, canonical);
        var entry = _history.Append(recorded.Snapshot.Hash, string.IsNullOrWhiteSpace(label) ? null : label.Trim(), recorded.Snapshot.Files, recorded.Snapshot.SkippedCount);
        await SyncRetention(recorded.DropEpoch);
        await _history.SaveAsync(stateChanged: bind);
        GrainLog.Tracked(logger, SessionId, recorded.Snapshot.Hash, recorded.Snapshot.Files, recorded.Snapshot.SkippedCount);
        RequestStep(entry);
        return recorded.Snapshot;
    }

    public async Task<ChangesResult> Changes(string since, string? after, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = _history.RequireTracked(SessionId, "changes");
        var sinceHash = await RequireOwnSnapshot(since, "--since");
        return await RetentionChecked(() => Workspace(workspaceId).Changes(directory, sinceHash, after, cancellationToken), (sinceHash, "--since"));
    }

    public async Task<DiffSummary> Diff(string from, string? to, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = _history.RequireTracked(SessionId, "diff");
        var fromHash = await RequireOwnSnapshot(from, "--from");
        // "Now" is a snapshot of the working tree that the history does not record.
        var toHash = to is null
            ? (await Workspace(workspaceId).Snapshot(directory, cancellationToken)).Hash
            : await RequireOwnSnapshot(to, "--to");
        return await RetentionChecked(() => GrainFactory.GetGrain<IDiffWorkerGrain>(0).Summarize(workspaceId, fromHash, toHash, cancellationToken),
            (fromHash, "--from"), (to is null ? "" : toHash, "--to"));
    }

    public Task<RestoreResult> Restore(string to, CancellationToken cancellationToken) => RestoreCore(to, null, "restore", cancellationToken);

    public Task<RestoreResult> Revert(string to, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        if (files is null || files.Count == 0)
        {
            throw SessionErrors.NoFiles();
        }
        // Checked before anything is touched: InvalidPath says which path and why.
        var normalized = files.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();
        return RestoreCore(to, normalized, "revert", cancellationToken);
    }

    public async Task<SessionHistory> History(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        if (_history.WorkspaceId is { } workspaceId && _history.Count > 0)
        {
            var retained = await Workspace(workspaceId).Retained(SessionId);
            if (retained.DropEpoch != _history.SyncedEpoch)
            {
                Prune(retained);
                await _history.SaveAsync(stateChanged: true);
            }
        }
        return new SessionHistory(SessionId, _history.Directory, [.. _history.Entries.Select(WireMapping.ToWire)]);
    }

    public Task<WorkspaceUsage> Usage(CancellationToken cancellationToken) => Workspace(_history.RequireBound(SessionId, "usage")).Usage();

    public async Task<CollectionReport> Collect(CancellationToken cancellationToken)
    {
        var workspace = Workspace(_history.RequireBound(SessionId, "gc"));
        var report = await workspace.Collect(cancellationToken);
        var retained = await workspace.Retained(SessionId);
        Prune(retained);
        await _history.SaveAsync(stateChanged: true);
        return report;
    }

    public async Task<DeletedSession> Delete(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var workspaceId = _history.WorkspaceId;
        var directory = _history.Directory;
        var released = _history.Entries.Select(s => s.Hash).Distinct(StringComparer.Ordinal).Count();
        if (workspaceId is not null)
        {
            // The workspace forgets the session first: a failure after it leaves a session whose history the next
            // call prunes, never a workspace keeping snapshots for a session that is gone.
            released = await Workspace(workspaceId).Release(SessionId);
        }
        await _history.ClearAsync();
        DeactivateOnIdle();
        GrainLog.Deleted(logger, SessionId, workspaceId, released);
        return new DeletedSession(SessionId, workspaceId, directory, released);
    }

    public async Task RecordStep(string hash, string from, StepStats stats)
    {
        if (_history.SetStep(hash, from, stats))
        {
            await _history.SaveAsync();
        }
    }

    private async Task<RestoreResult> RestoreCore(string to, IReadOnlyList<string>? files, string verb, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = _history.RequireTracked(SessionId, verb);
        var workspace = Workspace(workspaceId);
        var toHash = await RequireOwnSnapshot(to, "--to");
        var label = $"safety: before {verb} to {toHash[..8]}";

        // The safety snapshot is in the history (and the workspace's catalogue) before anything is touched: a restore
        // that fails halfway, or a silo that dies during it, leaves the way back listed. The workspace takes its own
        // safety snapshot too; it is the same tree unless the workspace changed in between, and then it is recorded too.
        var before = await workspace.Track(directory, SessionId, cancellationToken);
        RequestStep(_history.Append(before.Snapshot.Hash, label, before.Snapshot.Files, before.Snapshot.SkippedCount));
        await _history.SaveAsync();

        var restored = await RetentionChecked(() => workspace.Restore(directory, toHash, files, SessionId, cancellationToken), (toHash, "--to"));
        var result = restored.Result;
        if (!string.Equals(result.Safety, before.Snapshot.Hash, StringComparison.Ordinal))
        {
            RequestStep(_history.Append(result.Safety, label, restored.SafetyFiles, restored.SafetySkipped));
            await _history.SaveAsync();
        }
        GrainLog.SessionRestored(logger, SessionId, verb, toHash, result.Safety, result.WrittenCount, result.DeletedCount);
        return result;
    }

    /// <summary>Asks a diff worker for the step's stats; it hands them back through <see cref="RecordStep"/>.</summary>
    private void RequestStep(SessionSnapshot entry)
    {
        if (entry.PendingFrom is { } from && _history.WorkspaceId is { } workspaceId)
        {
            GrainFactory.GetGrain<IDiffWorkerGrain>(0).ComputeStep(workspaceId, from, entry.Hash, SessionId).Ignore();
        }
    }

    /// <summary>Prunes the history of what retention dropped, when the workspace's drop epoch moved since the last prune.</summary>
    private async Task SyncRetention(long dropEpoch)
    {
        if (dropEpoch != _history.SyncedEpoch && _history.WorkspaceId is { } workspaceId)
        {
            Prune(await Workspace(workspaceId).Retained(SessionId));
        }
    }

    private void Prune(Retained retained)
    {
        var gone = _history.Prune(retained);
        if (gone > 0)
        {
            GrainLog.Pruned(logger, SessionId, gone);
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/>; if it fails because a collection removed one of <paramref name="hashes"/>
    /// meanwhile, reports that as UnknownSnapshot with the retention reason instead of a failure.
    /// </summary>
    private async Task<T> RetentionChecked<T>(Func<Task<T>> call, params (string Hash, string Argument)[] hashes)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is SnapshotServiceException { Error: ServiceError.MissingObject } or SnapshotRequestException { Error: RequestError.UnknownSnapshot })
        {
            foreach (var (hash, argument) in hashes)
            {
                if (hash.Length > 0 && await WhyDropped(hash, argument) is { } message)
                {
                    throw SessionErrors.Removed(message);
                }
            }
            throw;
        }
    }

    private async Task<string?> WhyDropped(string hash, string argument) =>
        _history.WorkspaceId is { } workspaceId ? await Workspace(workspaceId).WhyDropped(SessionId, hash, argument) : null;

    /// <summary>A well-formed hash of one of this session's snapshots, normalised to lowercase.</summary>
    private async Task<string> RequireOwnSnapshot(string? hash, string argument)
    {
        var parsed = SessionErrors.ParseHash(hash, argument);
        if (!_history.Contains(parsed))
        {
            throw await WhyDropped(parsed, argument) is { } removed
                ? SessionErrors.Removed(removed)
                : SessionErrors.NotOurs(SessionId, argument, parsed);
        }
        return parsed;
    }
}
