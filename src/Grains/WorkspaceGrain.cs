using AgentSnapshots.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// The sole writer of one workspace (key: <c>WorkspaceIdentity.IdFor(directory)</c>). It holds the store's
/// single-writer lock while active, runs the engine's file work on the silo's snapshot threads, keeps the
/// workspace's <see cref="SnapshotCatalogue"/> (stored page by page) and runs retention and collection in its own
/// turns, so no snapshot is half-written while collection runs.
/// </summary>
internal sealed class WorkspaceGrain(
    [PersistentState("workspace", SessionGrain.StorageName)] IPersistentState<WorkspaceState> state,
    IOptions<SnapshotsOptions> options,
    FileWorkPools pools,
    WorkspaceLockSet locks,
    ActiveWorkspaces active,
    WatchRegistry watches,
    [FromKeyedServices(SessionGrain.StorageName)] IGrainStorage storage,
    ISnapshotRows rows,
    ILogger<WorkspaceGrain> logger) : Grain, IWorkspaceGrain, IIncomingGrainCallFilter
{
    private readonly SnapshotsOptions _options = options.Value;
    private WorkspaceCatalogue _catalogue = null!;
    private Workspace? _workspace;
    private IGrainTimer? _collectionTimer;
    private IGrainTimer? _verifyTimer;
    private Task _verification = Task.CompletedTask;
    private int _tracksSinceVerify;
    private DateTime _lastTrackUtc;
    private bool _verifiedSinceTrack = true;
    private WorkspaceLock? _lock;
    private ActiveWorkspace? _place;

    private string Key => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckWorkspaceId(Key);
        // A place among the silo's active workspaces first: at the bound, the least recently used idle ones are
        // asked to deactivate (closing their lock files) and this waits for one, or fails retryably.
        _place = await active.EnterAsync(Key, DeactivateForAnother, WorkspaceLock.DefaultWait, cancellationToken);
        try
        {
            // A duplicate activation elsewhere (failover) waits here, or fails retryably.
            _lock = await locks.AcquireAsync(StoreDirectory, WorkspaceLock.DefaultWait, cancellationToken);
            _catalogue = await WorkspaceCatalogue.LoadAsync(rows, Key, state, storage, this.GetGrainId(), logger);
        }
        catch
        {
            // A failed activation is not deactivated: give back what it took.
            _lock?.Dispose();
            _lock = null;
            _place.Dispose();
            _place = null;
            throw;
        }
    }

    /// <summary>Asked by <see cref="ActiveWorkspaces"/> from outside this grain's turns; Orleans lets running calls finish first.</summary>
    private void DeactivateForAnother() =>
        GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "Snapshots:MaxActiveWorkspaces reached: the least recently used idle workspace gives its place up."));

    /// <summary>Every call counts as busy for <see cref="ActiveWorkspaces"/>, and makes this the most recently used workspace.</summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var place = _place;
        place?.Begin();
        try
        {
            await context.Invoke();
        }
        finally
        {
            place?.End();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _verifyTimer?.Dispose();
        // Disposing the workspace also stops a verification still walking.
        _workspace?.Dispose();
        _lock?.Dispose();
        _lock = null;
        // After the lock file closed: the place may go to another workspace's activation.
        _place?.Dispose();
        _place = null;
        return Task.CompletedTask;
    }

    public async Task<TrackResult> SnapshotAsync(string directory, CancellationToken cancellationToken)
    {
        var taken = WorkspaceNames.IsBinding(directory)
            ? await Remote(directory).SnapshotAsync(cancellationToken)
            : await OnWorkspace(directory, workspace => workspace.TransientSnapshot(cancellationToken), cancellationToken);
        return taken.ToWire(_options.MaxListedPaths);
    }

    public async Task<Recorded> TrackAsync(string directory, SessionAppend session, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(session.SessionId);
        var taken = WorkspaceNames.IsBinding(directory)
            ? await Remote(directory).SnapshotAsync(cancellationToken)
            : await OnWorkspace(directory, workspace => workspace.Snapshot(cancellationToken), cancellationToken);
        var takenMs = await RecordAsync(directory, taken.Hash, session, safety: false, taken.Files, taken.Skipped.Count, historyRow: true);
        return new Recorded(taken.ToWire(_options.MaxListedPaths), _catalogue.DropEpoch, takenMs);
    }

    public async Task<ChangesResult> ChangesAsync(string directory, string since, string? after, CancellationToken cancellationToken)
    {
        var sinceId = WorkspaceIdentity.ParseHash(since, "since");
        if (WorkspaceNames.IsBinding(directory))
        {
            var now = await Remote(directory).SnapshotAsync(cancellationToken);
            var store = Store();
            return (await pools.Snapshots.Run(() => RemoteChanges.Between(store, sinceId, now.Tree, cancellationToken), cancellationToken)).ToWire(_options.MaxListedPaths, after);
        }
        var changes = await OnWorkspace(directory, workspace => workspace.Changes(sinceId, cancellationToken), cancellationToken);
        return changes.ToWire(_options.MaxListedPaths, after);
    }

    public async Task<Restored> RestoreAsync(string directory, string to, IReadOnlyList<string>? files, SessionAppend session, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(session.SessionId);
        var toId = WorkspaceIdentity.ParseHash(to, "to");
        var scope = files?.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();
        if (WorkspaceNames.IsBinding(directory))
        {
            var remote = await Remote(directory).RestoreAsync(toId, scope, cancellationToken);
            var safetyMs = await RecordAsync(directory, remote.Safety.Hash, session, safety: true, remote.Safety.Files, remote.Safety.Skipped.Count,
                historyRow: !string.Equals(remote.Safety.Hash, session.Previous, StringComparison.Ordinal));
            GrainLog.WorkspaceRestored(logger, Key, toId, remote.Safety.Tree, remote.Written.Count, remote.Deleted.Count);
            return new Restored(remote.ToWire(_options.MaxListedPaths), remote.Safety.Files, remote.Safety.Skipped.Count, _catalogue.DropEpoch, safetyMs);
        }
        var previous = _workspace?.LastSnapshot;
        RestoreOutcome outcome;
        var takenMs = 0L;
        try
        {
            outcome = await OnWorkspace(directory, workspace => workspace.Restore(toId, scope, cancellationToken), cancellationToken);
        }
        finally
        {
            // The restore's safety snapshot is recorded whether or not the restore went through: it is the way back.
            // It goes into the session's history too, unless it is the snapshot the session took just before.
            if (_workspace?.LastSnapshot is { } safety && !ReferenceEquals(safety, previous))
            {
                takenMs = await RecordAsync(directory, safety.Hash, session, safety: true, safety.Files, safety.Skipped.Count,
                    historyRow: !string.Equals(safety.Hash, session.Previous, StringComparison.Ordinal));
            }
        }
        GrainLog.WorkspaceRestored(logger, Key, toId, outcome.Safety.Tree, outcome.Written.Count, outcome.Deleted.Count);
        return new Restored(outcome.ToWire(_options.MaxListedPaths), outcome.Safety.Files, outcome.Safety.Skipped.Count, _catalogue.DropEpoch, takenMs);
    }

    public Task<Retained> RetainedAsync(string sessionId) =>
        Task.FromResult(new Retained(_catalogue.LiveOf(sessionId), _catalogue.DropEpoch));

    public Task<string?> WhyDroppedAsync(string sessionId, string hash, string argument) =>
        Task.FromResult(_catalogue.WhyDropped(sessionId, hash) is { } reason
            ? RetentionMessages.Removed(argument, hash, SessionIds.NameOf(sessionId), reason, _options.Retention)
            : null);

    public async Task<int> ReleaseAsync(string sessionId)
    {
        RequestChecks.CheckSessionId(sessionId);
        var released = _catalogue.Release(sessionId);
        await _catalogue.SaveAsync();
        GrainLog.Released(logger, Key, sessionId, released);
        return released;
    }

    public async Task<WorkspaceUsage> UsageAsync()
    {
        var store = Store();
        var usage = await pools.Snapshots.Run(() => StoreCollector.Usage(store));
        return new WorkspaceUsage(Key, _catalogue.Directory, usage.Objects, usage.Bytes, _catalogue.Count, _catalogue.SessionCount);
    }

    public async Task<CollectionReport> CollectAsync(CancellationToken cancellationToken)
    {
        // This collection does what a pending automatic one would; left pending, it would change the store right
        // after this one reported it.
        _collectionTimer?.Dispose();
        _collectionTimer = null;
        var transient = _workspace?.RecentTrees(_options.Retention.Grace) ?? [];
        var outcome = await _catalogue.CollectAsync(Store(), _options.Retention, transient, pools.Snapshots, cancellationToken);
        if (outcome.Remaining.Bytes > _options.Retention.MaxBytes)
        {
            GrainLog.OverMaxBytes(logger, Key, outcome.Remaining.Bytes, _options.Retention.MaxBytes);
        }
        GrainLog.Collected(logger, Key, outcome.DroppedSnapshots, outcome.ObjectsDeleted, outcome.BytesFreed, outcome.Remaining.Bytes);
        return new CollectionReport(Key, outcome.DroppedSnapshots, outcome.ObjectsDeleted, outcome.BytesFreed,
            new StoreSize(outcome.Remaining.Objects, outcome.Remaining.Bytes));
    }

    /// <summary>
    /// Records <paramref name="hash"/> in the catalogue for the session and, in the same transaction, what the session
    /// asked for (its history row when <paramref name="historyRow"/>, its stats, its binding). Returns the row's time.
    /// </summary>
    private async Task<long> RecordAsync(string directory, string hash, SessionAppend session, bool safety, int files, int skipped, bool historyRow)
    {
        _catalogue.Record(hash, session.SessionId, safety);
        var takenMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = new RowBatch();
        session.AddTo(batch, historyRow ? session.RowFor(hash, files, skipped, takenMs) : null, Key, directory, _catalogue.DropEpoch);
        await _catalogue.SaveAsync(batch);
        ScheduleCollectionIfDue();
        return takenMs;
    }

    /// <summary>After <c>CollectEvery</c> recorded snapshots, a one-shot timer runs retention and collection in a turn of its own.</summary>
    private void ScheduleCollectionIfDue()
    {
        var every = _options.Retention.CollectEvery;
        if (every <= 0 || _catalogue.RecordedSinceCollection < every || _collectionTimer is not null)
        {
            return;
        }
        _collectionTimer = this.RegisterGrainTimer(async _ =>
        {
            _collectionTimer?.Dispose();
            _collectionTimer = null;
            try
            {
                await CollectAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EngineException or OrleansException)
            {
                GrainLog.CollectionFailed(logger, e, Key);
            }
        }, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// After a track of a watched workspace: counts it towards <c>Snapshots:Watch:VerifyEvery</c> and (re)arms the
    /// verification timer: at once when the count is reached (in a turn of its own, so this track's reply does not
    /// wait for it), otherwise after <c>VerifyAfterIdle</c> without a track.
    /// </summary>
    private void ScheduleVerification()
    {
        var watch = _options.Watch;
        if (!watch.Enabled || (watch.VerifyEvery <= 0 && watch.VerifyAfterIdle <= TimeSpan.Zero)) return;
        _lastTrackUtc = DateTime.UtcNow;
        _verifiedSinceTrack = false;
        _tracksSinceVerify++;
        var due = watch.VerifyEvery > 0 && _tracksSinceVerify >= watch.VerifyEvery ? TimeSpan.Zero
            : watch.VerifyAfterIdle > TimeSpan.Zero ? watch.VerifyAfterIdle
            : Timeout.InfiniteTimeSpan;
        if (_verifyTimer is null)
        {
            _verifyTimer = this.RegisterGrainTimer(_ => VerifyIfDueAsync(), due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _verifyTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Starts a verification of the watcher's view if one is due and none runs: its start (a copy of the state) in
    /// this turn, between tracks; its walk on the snapshot threads, not awaited, so tracks go on meanwhile. The engine
    /// logs, counts and heals what it finds.
    /// </summary>
    private async Task VerifyIfDueAsync()
    {
        var watch = _options.Watch;
        var idle = DateTime.UtcNow - _lastTrackUtc;
        var byCount = watch.VerifyEvery > 0 && _tracksSinceVerify >= watch.VerifyEvery;
        var byIdle = watch.VerifyAfterIdle > TimeSpan.Zero && !_verifiedSinceTrack && idle >= watch.VerifyAfterIdle;
        if (!byCount && !byIdle)
        {
            if (watch.VerifyAfterIdle > TimeSpan.Zero && !_verifiedSinceTrack) _verifyTimer?.Change(watch.VerifyAfterIdle - idle, Timeout.InfiniteTimeSpan);
            return;
        }
        if (_workspace is not { } workspace || !_verification.IsCompleted) return;
        _tracksSinceVerify = 0;
        _verifiedSinceTrack = true;
        if (await pools.Snapshots.Run(workspace.StartVerification) is not { } verification) return;
        var key = Key;
        _verification = pools.Snapshots.Run(() =>
        {
            try
            {
                return verification.Run().Outcome;
            }
            catch (OperationCanceledException)
            {
                // The workspace was closed (deactivation) while it walked.
                return VerificationOutcome.Inconclusive;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EngineException or ObjectDisposedException)
            {
                GrainLog.VerificationFailed(logger, e, key);
                return VerificationOutcome.Inconclusive;
            }
        });
    }

    private string StoreDirectory => Path.Combine(_options.WorkspacesDirectory, Key);

    /// <summary>The remote workspace <paramref name="binding"/> names, served by its agent (see <see cref="RemoteWorkspace"/>).</summary>
    private RemoteWorkspace Remote(string binding) => new(GrainFactory, Key, StoreDirectory, binding);

    private ObjectStore Store() => _workspace?.Store ?? ObjectStore.Open(StoreDirectory);

    /// <summary>
    /// Runs <paramref name="work"/> on the engine workspace (opened on first use) on the silo's snapshot threads,
    /// after checking there, in the same turn of the pool, that <paramref name="directory"/> still resolves to this
    /// grain's workspace: one wait for a snapshot thread per operation, not two.
    /// </summary>
    private async Task<T> OnWorkspace<T>(string directory, Func<Workspace, T> work, CancellationToken cancellationToken)
    {
        var workspace = _workspace ?? await OpenAsync(directory);
        var result = await pools.Snapshots.Run(() =>
        {
            CheckDirectory(directory);
            return work(workspace);
        }, cancellationToken);
        ScheduleVerification();
        return result;
    }

    /// <summary>The engine workspace, opened after checking that this grain's key belongs to the directory.</summary>
    private async Task<Workspace> OpenAsync(string directory)
    {
        _workspace = await pools.Snapshots.Run(() => Workspace.Open(CheckDirectory(directory), _options, logger, watches));
        var canonical = _workspace.Directory;
        // Stored with the next write (a track's).
        _catalogue.SetDirectory(canonical);
        GrainLog.Opened(logger, Key, canonical);
        return _workspace;
    }

    /// <summary>Resolves <paramref name="directory"/> (inside the workspace roots, not too broad) and checks it is this grain's workspace; returns it.</summary>
    private string CheckDirectory(string directory)
    {
        var canonical = WorkspaceIdentity.ResolveDirectory(directory, _options.EffectiveWorkspaceRoots, _options.AllowBroadWorkspaces);
        if (string.Equals(canonical, directory, StringComparison.Ordinal) && string.Equals(WorkspaceIdentity.IdFor(canonical), Key, StringComparison.Ordinal))
        {
            return canonical;
        }
        throw new EngineException(EngineError.WorkspaceMismatch, string.Equals(WorkspaceIdentity.IdFor(directory), Key, StringComparison.Ordinal)
            ? $"Workspace directory '{MessageText.Shown(directory)}' now resolves elsewhere (it, or a directory above it, was moved or replaced by a symlink); nothing was snapshotted. A session stays with the directory it was bound to: track the directory where it is now with a new session."
            : $"Workspace {Key} is not the workspace of {directory}: address the workspace by the id of its canonical directory.");
    }
}
