using System.Diagnostics;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots;

/// <summary>
/// The sole writer of one workspace (key: <c>WorkspaceIdentity.IdFor(directory)</c>): holds the engine's
/// <see cref="Workspace"/> and runs its blocking file work off the scheduler threads, one request at a time.
/// It also keeps the catalogue of every snapshot a session recorded (<see cref="WorkspaceState"/>), applies the
/// retention policy (<c>Snapshots:Retention</c>) and collects unreachable objects in its own turns, so no snapshot
/// is half-written while collection runs.
/// </summary>
public sealed partial class WorkspaceGrain(
    [PersistentState("workspace", SessionGrain.StorageName)] IPersistentState<WorkspaceState> state,
    IOptions<SnapshotsOptions> options,
    ILogger<WorkspaceGrain> logger) : Grain, IWorkspaceGrain
{
    private const int RecentCountsKept = 64;

    private readonly Dictionary<string, SnapshotCounts> _recentCounts = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();

    /// <summary>
    /// Trees handed out without being recorded (a diff against "now", a restore's safety snapshot taken for no
    /// session), with when: collection keeps them for the grace period, since an identical old tree has an old
    /// file time that the grace period alone would not protect.
    /// </summary>
    private readonly Dictionary<string, DateTime> _transient = new(StringComparer.Ordinal);

    private Workspace? _workspace;
    private ObjectStore? _store;
    private IGrainTimer? _collectionTimer;
    private WorkspaceLock? _lock;

    /// <summary>Takes the store's single-writer lock, so a duplicate activation elsewhere (failover) waits or fails retryably.</summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        RequestChecks.CheckWorkspaceId(key);
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
        var result = await TakeSnapshot(await Open(directory));
        _transient[result.Hash] = DateTime.UtcNow;
        return result;
    }

    private async Task<TrackResult> TakeSnapshot(Workspace workspace)
    {
        using var activity = SnapshotMetrics.ActivitySource.StartActivity("agentsnapshots.snapshot");
        var started = Stopwatch.GetTimestamp();
        var result = await Task.Run(() => workspace.Snapshot());
        SnapshotMetrics.SnapshotDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        Remember(result);
        return result.ToWire();
    }

    public async Task<TrackResult> Track(string directory, string sessionId)
    {
        RequestChecks.CheckSessionId(sessionId);
        var result = await TakeSnapshot(await Open(directory));
        Record(result.Hash, sessionId, safety: false);
        await state.WriteStateAsync();
        ScheduleCollectionIfDue();
        return result;
    }

    public async Task<RestoreResult> RestoreFor(string directory, string to, IReadOnlyList<string>? files, string sessionId)
    {
        RequestChecks.CheckSessionId(sessionId);
        var result = await RestoreCore(directory, to, files);
        Record(result.Safety, sessionId, safety: true);
        await state.WriteStateAsync();
        ScheduleCollectionIfDue();
        return result;
    }

    public async Task<ChangesResult> Changes(string directory, string since)
    {
        var sinceId = WorkspaceIdentity.ParseHash(since, "since");
        var workspace = await Open(directory);
        return (await Task.Run(() => workspace.Changes(sinceId))).ToWire();
    }

    private async Task<RestoreResult> RestoreCore(string directory, string to, IReadOnlyList<string>? files)
    {
        var toId = WorkspaceIdentity.ParseHash(to, "to");
        var scope = files?.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();
        var workspace = await Open(directory);
        if (!workspace.HasTree(toId))
        {
            throw new EngineException(EngineError.UnknownSnapshot,
                $"Snapshot {toId} is not in the store of workspace '{directory}'; list the session's snapshots with 'history'.");
        }
        var started = Stopwatch.StartNew();
        var result = await Task.Run(() =>
        {
            try
            {
                return workspace.Restore(toId, scope).ToWire();
            }
            finally
            {
                // The restore's safety snapshot, with its counts (RestoreResult carries only its hash).
                if (workspace.LastSnapshot is { } safety) Remember(safety);
            }
        });
        var elapsed = started.Elapsed;
        var key = this.GetPrimaryKeyString();
        LogRestored(key, to, result.Safety, result.Written.Count, result.Deleted.Count, elapsed);
        return result;
    }

    public Task<SnapshotCounts?> CountsOf(string hash) =>
        Task.FromResult(_recentCounts.GetValueOrDefault(hash?.ToLowerInvariant() ?? ""));

    public Task<RetainedSnapshots> Retained(string sessionId)
    {
        var slot = state.State.Sessions.IndexOf(sessionId);
        var live = slot < 0
            ? []
            : state.State.Snapshots.Where(e => e.Owners.Exists(o => o.Session == slot)).Select(e => e.Hash).ToList();
        var dropped = state.State.Dropped
            .Where(d => string.Equals(d.Session, sessionId, StringComparison.Ordinal))
            .Select(d => new DroppedHash(d.Hash, d.Reason))
            .ToList();
        return Task.FromResult(new RetainedSnapshots(live, dropped));
    }

    public async Task<int> Adopt(string sessionId, IReadOnlyList<AdoptedSnapshot> snapshots)
    {
        RequestChecks.CheckSessionId(sessionId);
        ArgumentNullException.ThrowIfNull(snapshots);
        var store = Store();
        var adopted = 0;
        foreach (var snapshot in snapshots.OrderBy(s => s.Time))
        {
            var hash = snapshot.Hash.ToLowerInvariant();
            var wasDropped = state.State.Dropped.Exists(d => d.Hash == hash && d.Session == sessionId);
            if (wasDropped || !GitObjectId.TryParse(hash, out var id) || !store.Contains(id))
            {
                continue;
            }
            Record(hash, sessionId, snapshot.Safety, snapshot.Time);
            adopted++;
        }
        if (adopted > 0)
        {
            // Adopted snapshots are old: keep the catalogue ordered by time.
            var ordered = state.State.Snapshots.OrderBy(e => e.Time).ToList();
            state.State.Snapshots = ordered;
            await state.WriteStateAsync();
        }
        return adopted;
    }

    public async Task<int> Release(string sessionId)
    {
        RequestChecks.CheckSessionId(sessionId);
        var slot = state.State.Sessions.IndexOf(sessionId);
        if (slot < 0)
        {
            return 0;
        }
        var released = 0;
        foreach (var entry in state.State.Snapshots)
        {
            if (entry.Owners.RemoveAll(o => o.Session == slot) > 0)
            {
                released++;
            }
        }
        var orphans = state.State.Snapshots.RemoveAll(e => e.Owners.Count == 0);
        state.State.Sessions[slot] = null;
        state.State.Dropped.RemoveAll(d => d.Session == sessionId);
        await state.WriteStateAsync();
        var key = this.GetPrimaryKeyString();
        LogReleased(key, sessionId, released, orphans);
        return released;
    }

    public async Task<WorkspaceUsage> Usage()
    {
        var store = Store();
        var usage = await Task.Run(() => StoreCollector.Usage(store));
        return new WorkspaceUsage(this.GetPrimaryKeyString(), state.State.Directory, usage.Objects, usage.Bytes,
            state.State.Snapshots.Count, state.State.Sessions.Count(s => s is not null));
    }

    public Task<CollectionReport> Collect() => CollectCore();

    /// <summary>
    /// Retention, then collection: drops what the policy does not keep (recorded in the state before any object is
    /// deleted, so the state never names a missing tree), deletes the unreachable objects older than the grace period,
    /// and while the store is still over <c>MaxBytes</c> drops the oldest unprotected snapshots in growing batches
    /// and collects again (a few rounds at most; the next collection continues).
    /// </summary>
    private async Task<CollectionReport> CollectCore()
    {
        var key = this.GetPrimaryKeyString();
        var retention = options.Value.Retention;
        var policy = new RetentionPolicy(retention.KeepLast, retention.KeepYoungerThan, retention.MaxSnapshots);
        var grace = retention.Grace < TimeSpan.Zero ? TimeSpan.Zero : retention.Grace;
        var now = DateTimeOffset.UtcNow;
        var started = Stopwatch.StartNew();

        var dropped = Drop(policy.Apply(Entries(), now));
        state.State.RecordedSinceCollection = 0;
        await state.WriteStateAsync();

        var store = Store();
        var live = LiveTrees(grace);
        var kept = state.State.Snapshots.ConvertAll(e => GitObjectId.Parse(e.Hash));
        var result = await Task.Run(() => StoreCollector.Collect(store, kept, live, grace));
        long deleted = result.ObjectsDeleted, freed = result.BytesFreed;
        var remaining = result.Remaining;
        const int MaxBytesRounds = 4;
        for (var round = 0; round < MaxBytesRounds && remaining.Bytes > retention.MaxBytes && state.State.Snapshots.Count > 0; round++)
        {
            // A first guess from the average snapshot's share, doubled each round (snapshots share most objects).
            var average = Math.Max(1, remaining.Bytes / state.State.Snapshots.Count);
            var want = (remaining.Bytes - retention.MaxBytes + average - 1) / average << round;
            var victims = policy.OldestUnprotected(Entries(), now, (int)Math.Clamp(want, 1, state.State.Snapshots.Count));
            if (victims.Count == 0)
            {
                LogOverMaxBytes(key, remaining.Bytes, retention.MaxBytes);
                break;
            }
            dropped += Drop(victims.Select(i => (i, DropReason.MaxBytes)).ToList());
            await state.WriteStateAsync();
            live = LiveTrees(grace);
            kept = state.State.Snapshots.ConvertAll(e => GitObjectId.Parse(e.Hash));
            var again = await Task.Run(() => StoreCollector.Collect(store, kept, live, grace, reclaimAll: true));
            deleted += again.ObjectsDeleted;
            freed += again.BytesFreed;
            remaining = again.Remaining;
        }
        LogCollected(key, dropped, deleted, freed, remaining.Objects, remaining.Bytes, started.Elapsed);
        return new CollectionReport(key, dropped, deleted, freed, new StoreSize(remaining.Objects, remaining.Bytes));
    }

    private List<RetentionEntry> Entries() =>
        state.State.Snapshots
            .Select(e => new RetentionEntry(
                DateTimeOffset.FromUnixTimeMilliseconds(e.Time),
                e.Safety,
                e.Owners.ConvertAll(o => new RetentionOwner(o.Session, o.Sequence))))
            .ToList();

    /// <summary>Removes the given catalogue entries and remembers, per owning session, why.</summary>
    private int Drop(IReadOnlyList<(int Index, DropReason Reason)> drops)
    {
        foreach (var (index, reason) in drops.OrderByDescending(d => d.Index))
        {
            var entry = state.State.Snapshots[index];
            state.State.Snapshots.RemoveAt(index);
            foreach (var owner in entry.Owners)
            {
                if (state.State.Sessions[owner.Session] is { } session)
                {
                    state.State.Dropped.Add(new DroppedSnapshot { Hash = entry.Hash, Session = session, Reason = reason });
                }
            }
        }
        var excess = state.State.Dropped.Count - WorkspaceState.MaxDropped;
        if (excess > 0)
        {
            state.State.Dropped.RemoveRange(0, excess);
        }
        return drops.Count;
    }

    /// <summary>Every kept snapshot, and the trees handed out without a record within the grace period.</summary>
    private List<GitObjectId> LiveTrees(TimeSpan grace)
    {
        var cutoff = DateTime.UtcNow - grace - TimeSpan.FromMinutes(1);
        foreach (var stale in _transient.Where(t => t.Value < cutoff).Select(t => t.Key).ToList())
        {
            _transient.Remove(stale);
        }
        return state.State.Snapshots.Select(e => e.Hash).Concat(_transient.Keys)
            .Select(h => GitObjectId.TryParse(h, out var id) ? id : (GitObjectId?)null)
            .OfType<GitObjectId>()
            .ToList();
    }

    /// <summary>Records <paramref name="hash"/> as the latest snapshot of <paramref name="sessionId"/>.</summary>
    private void Record(string hash, string sessionId, bool safety, DateTimeOffset? time = null)
    {
        var catalogue = state.State;
        var slot = catalogue.Sessions.IndexOf(sessionId);
        if (slot < 0)
        {
            slot = catalogue.Sessions.IndexOf(null);
            if (slot < 0)
            {
                slot = catalogue.Sessions.Count;
                catalogue.Sessions.Add(sessionId);
            }
            else
            {
                catalogue.Sessions[slot] = sessionId;
            }
        }
        var sequence = ++catalogue.Sequence;
        var index = catalogue.Snapshots.FindIndex(e => e.Hash == hash);
        CatalogSnapshot entry;
        if (index >= 0)
        {
            entry = catalogue.Snapshots[index];
            catalogue.Snapshots.RemoveAt(index);
        }
        else
        {
            entry = new CatalogSnapshot { Hash = hash };
        }
        entry.Time = (time ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        entry.Safety |= safety;
        entry.Owners.RemoveAll(o => o.Session == slot);
        entry.Owners.Add(new CatalogOwner { Session = slot, Sequence = sequence });
        catalogue.Snapshots.Add(entry);
        // Recorded again: it is live, whatever an earlier drop said.
        catalogue.Dropped.RemoveAll(d => d.Hash == hash);
        catalogue.RecordedSinceCollection++;
        new SnapshotRefs(Store()).Keep(GitObjectId.Parse(hash));
    }

    /// <summary>After <c>CollectEvery</c> recorded snapshots, a one-shot timer runs retention and collection in a turn of its own.</summary>
    private void ScheduleCollectionIfDue()
    {
        var every = options.Value.Retention.CollectEvery;
        if (every <= 0 || state.State.RecordedSinceCollection < every || _collectionTimer is not null)
        {
            return;
        }
        _collectionTimer = this.RegisterGrainTimer(async _ =>
        {
            _collectionTimer?.Dispose();
            _collectionTimer = null;
            try
            {
                await CollectCore();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or OrleansException or EngineException)
            {
                LogCollectionFailed(e, this.GetPrimaryKeyString());
            }
        }, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);
    }

    private ObjectStore Store() =>
        _workspace?.Store ?? (_store ??= ObjectStore.Open(Path.Combine(options.Value.WorkspacesDirectory, this.GetPrimaryKeyString())));

    private void Remember(SnapshotTaken result)
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
            throw new EngineException(EngineError.WorkspaceMismatch,
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} collected: {Dropped} snapshots dropped, {Deleted} objects ({Freed} bytes) deleted, {Objects} objects ({Bytes} bytes) left, in {Elapsed}")]
    private partial void LogCollected(string workspaceId, int dropped, long deleted, long freed, long objects, long bytes, TimeSpan elapsed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {WorkspaceId} holds {Bytes} bytes, over Snapshots:Retention:MaxBytes ({MaxBytes}), but every snapshot left is protected (each session's latest, young safety snapshots)")]
    private partial void LogOverMaxBytes(string workspaceId, long bytes, long maxBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {WorkspaceId}: automatic collection failed; the next one retries")]
    private partial void LogCollectionFailed(Exception exception, string workspaceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} released session {SessionId}: {Released} snapshots, {Orphans} now kept by no session")]
    private partial void LogReleased(string workspaceId, string sessionId, int released, int orphans);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} opened for {Directory}")]
    private partial void LogOpened(string workspaceId, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} restored to {To} (safety {Safety}): {Written} written, {Deleted} deleted in {Elapsed}")]
    private partial void LogRestored(string workspaceId, string to, string safety, int written, int deleted, TimeSpan elapsed);
}
