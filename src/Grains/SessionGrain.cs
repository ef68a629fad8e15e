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
internal sealed partial class SessionGrain(
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
        var canonical = await ResolveDirectory(directory);
        var workspaceId = WorkspaceIdentity.IdFor(canonical);
        var recorded = await Workspace(workspaceId).Track(canonical, SessionId, cancellationToken);
        var bind = state.State.WorkspaceId is null;
        state.State.WorkspaceId ??= workspaceId;
        state.State.Directory ??= canonical;
        var entry = Append(recorded.Snapshot.Hash, string.IsNullOrWhiteSpace(label) ? null : label.Trim(), recorded.Snapshot.Files, recorded.Snapshot.SkippedCount);
        await SyncRetention(recorded.DropEpoch);
        await _history.SaveAsync(stateChanged: bind);
        LogTracked(SessionId, recorded.Snapshot.Hash, recorded.Snapshot.Files, recorded.Snapshot.SkippedCount);
        RequestStep(entry);
        return recorded.Snapshot;
    }

    public async Task<ChangesResult> Changes(string since, string? after, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = RequireTracked("changes");
        var sinceHash = await RequireOwnSnapshot(since, "--since");
        return await RetentionChecked(() => Workspace(workspaceId).Changes(directory, sinceHash, after, cancellationToken), (sinceHash, "--since"));
    }

    public async Task<DiffSummary> Diff(string from, string? to, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = RequireTracked("diff");
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
        if (state.State.WorkspaceId is { } workspaceId && _history.Count > 0)
        {
            var retained = await Workspace(workspaceId).Retained(SessionId);
            if (retained.DropEpoch != state.State.SyncedEpoch)
            {
                Prune(retained);
                await _history.SaveAsync(stateChanged: true);
            }
        }
        var snapshots = _history.Entries
            .Select(s => new SnapshotInfo(s.Hash, s.Label, s.Time, s.Files, s.Skipped,
                s.Step is { } step ? new StepStats(step.Changed, step.Additions, step.Deletions, step.Exact) : null))
            .ToList();
        return new SessionHistory(SessionId, state.State.Directory, snapshots);
    }

    public Task<WorkspaceUsage> Usage(CancellationToken cancellationToken) => Workspace(RequireBound("usage")).Usage();

    public async Task<CollectionReport> Collect(CancellationToken cancellationToken)
    {
        var workspace = Workspace(RequireBound("gc"));
        var report = await workspace.Collect(cancellationToken);
        var retained = await workspace.Retained(SessionId);
        Prune(retained);
        await _history.SaveAsync(stateChanged: true);
        return report;
    }

    public async Task<DeletedSession> Delete(CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(SessionId);
        var workspaceId = state.State.WorkspaceId;
        var directory = state.State.Directory;
        var released = _history.Entries.Select(s => s.Hash).Distinct(StringComparer.Ordinal).Count();
        if (workspaceId is not null)
        {
            // The workspace forgets the session first: a failure after it leaves a session whose history the next
            // call prunes, never a workspace keeping snapshots for a session that is gone.
            released = await Workspace(workspaceId).Release(SessionId);
        }
        await _history.ClearAsync();
        await state.ClearStateAsync(CancellationToken.None);
        state.State = new SessionState();
        DeactivateOnIdle();
        LogDeleted(SessionId, workspaceId, released);
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
        var (workspaceId, directory) = RequireTracked(verb);
        var workspace = Workspace(workspaceId);
        var toHash = await RequireOwnSnapshot(to, "--to");
        var label = $"safety: before {verb} to {toHash[..8]}";

        // The safety snapshot is in the history (and the workspace's catalogue) before anything is touched: a restore
        // that fails halfway, or a silo that dies during it, leaves the way back listed. The workspace takes its own
        // safety snapshot too; it is the same tree unless the workspace changed in between, and then it is recorded too.
        var before = await workspace.Track(directory, SessionId, cancellationToken);
        RequestStep(Append(before.Snapshot.Hash, label, before.Snapshot.Files, before.Snapshot.SkippedCount));
        await _history.SaveAsync();

        var restored = await RetentionChecked(() => workspace.Restore(directory, toHash, files, SessionId, cancellationToken), (toHash, "--to"));
        var result = restored.Result;
        if (!string.Equals(result.Safety, before.Snapshot.Hash, StringComparison.Ordinal))
        {
            RequestStep(Append(result.Safety, label, restored.SafetyFiles, restored.SafetySkipped));
            await _history.SaveAsync();
        }
        LogRestored(SessionId, verb, toHash, result.Safety, result.WrittenCount, result.DeletedCount);
        return result;
    }

    private SessionSnapshot Append(string hash, string? label, int files, int skipped) => _history.Append(hash, label, files, skipped);

    /// <summary>Asks a diff worker for the step's stats; it hands them back through <see cref="RecordStep"/>.</summary>
    private void RequestStep(SessionSnapshot entry)
    {
        if (entry.PendingFrom is { } from && state.State.WorkspaceId is { } workspaceId)
        {
            GrainFactory.GetGrain<IDiffWorkerGrain>(0).ComputeStep(workspaceId, from, entry.Hash, SessionId).Ignore();
        }
    }

    /// <summary>Prunes the history of what retention dropped, when the workspace's drop epoch moved since the last prune.</summary>
    private async Task SyncRetention(long dropEpoch)
    {
        if (dropEpoch != state.State.SyncedEpoch && state.State.WorkspaceId is { } workspaceId)
        {
            Prune(await Workspace(workspaceId).Retained(SessionId));
        }
    }

    private void Prune(Retained retained)
    {
        var gone = _history.KeepOnly(retained.Live.ToHashSet(StringComparer.Ordinal));
        state.State.SyncedEpoch = retained.DropEpoch;
        if (gone.Count > 0)
        {
            LogPruned(SessionId, gone.Count);
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
        state.State.WorkspaceId is { } workspaceId ? await Workspace(workspaceId).WhyDropped(SessionId, hash, argument) : null;

    private string RequireBound(string verb)
    {
        RequestChecks.CheckSessionId(SessionId);
        return state.State.WorkspaceId ?? throw SessionErrors.NotBound(SessionId, verb);
    }

    /// <summary>The directory to snapshot: the bound one, or the given one on the first call.</summary>
    private async Task<string> ResolveDirectory(string? directory)
    {
        var roots = options.Value.EffectiveWorkspaceRoots;
        var bound = state.State.Directory;
        if (directory is null)
        {
            // The bound directory must still exist and still be allowed.
            _ = bound ?? throw SessionErrors.NoDirectory(SessionId);
            await Task.Run(() => WorkspaceIdentity.ResolveDirectory(bound, roots));
            return bound;
        }
        var canonical = await Task.Run(() => WorkspaceIdentity.ResolveDirectory(directory, roots));
        if (bound is not null && !string.Equals(bound, canonical, StringComparison.Ordinal))
        {
            throw SessionErrors.BoundElsewhere(SessionId, bound, canonical);
        }
        return canonical;
    }

    private (string WorkspaceId, string Directory) RequireTracked(string verb)
    {
        RequestChecks.CheckSessionId(SessionId);
        if (_history.Count == 0 || state.State.WorkspaceId is null || state.State.Directory is null)
        {
            throw SessionErrors.NoSnapshots(SessionId, verb);
        }
        return (state.State.WorkspaceId, state.State.Directory);
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} deleted (workspace {WorkspaceId}, {Released} snapshots released)")]
    private partial void LogDeleted(string sessionId, string? workspaceId, int released);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: {Count} snapshots removed by retention")]
    private partial void LogPruned(string sessionId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} tracked {Hash}: {Files} files, {Skipped} skipped")]
    private partial void LogTracked(string sessionId, string hash, int files, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} {Verb} to {To} (safety {Safety}): {Written} written, {Deleted} deleted")]
    private partial void LogRestored(string sessionId, string verb, string to, string safety, int written, int deleted);
}
