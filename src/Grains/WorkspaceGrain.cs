using AgentSnapshots.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// The sole writer of one workspace (key: <c>WorkspaceIdentity.IdFor(directory)</c>). It holds the store's
/// single-writer lock while active (<see cref="WorkspaceResidency"/>), runs the engine's file work on the silo's
/// snapshot threads (<see cref="WorkspaceDirectory"/>), keeps the workspace's <see cref="SnapshotCatalogue"/> (stored
/// page by page) and runs retention and collection in its own turns (<see cref="CollectionSchedule"/>), so no snapshot
/// is half-written while collection runs.
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
    private WorkspaceDirectory _directory = null!;
    private CollectionSchedule _collection = null!;
    private WorkspaceRecorder _recorder = null!;
    private WorkspaceRestore _restore = null!;
    private WatchVerificationSchedule _verification = null!;
    private WorkspaceResidency? _residency;

    private string Key => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckWorkspaceId(Key);
        _directory = new WorkspaceDirectory(Key, _options, pools, watches, logger);
        _residency = await WorkspaceResidency.EnterAsync(active, locks, Key, _directory.StoreDirectory, DeactivateForAnother, cancellationToken);
        try
        {
            _catalogue = await WorkspaceCatalogue.LoadAsync(rows, Key, state, storage, this.GetGrainId(), logger);
        }
        catch
        {
            // A failed activation is not deactivated: give back what it took.
            _residency.Dispose();
            _residency = null;
            throw;
        }
        _collection = new CollectionSchedule(this, _options.Retention, CollectAsync, Key, logger);
        _recorder = new WorkspaceRecorder(_catalogue, _collection, Key);
        _restore = new WorkspaceRestore(_directory, _recorder, _options, Key, logger);
        _verification = new WatchVerificationSchedule(this, _options.Watch, pools, () => _directory.Opened, Key, logger);
    }

    /// <summary>Asked by <see cref="ActiveWorkspaces"/> from outside this grain's turns; Orleans lets running calls finish first.</summary>
    private void DeactivateForAnother() =>
        GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "Snapshots:MaxActiveWorkspaces reached: the least recently used idle workspace gives its place up."));

    /// <summary>Every call counts as busy for <see cref="ActiveWorkspaces"/>, and makes this the most recently used workspace.</summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var residency = _residency;
        residency?.Begin();
        try
        {
            await context.Invoke();
        }
        finally
        {
            residency?.End();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _verification?.Stop();
        _directory?.Close();
        // After the workspace closed: the lock file, then the place.
        _residency?.Dispose();
        _residency = null;
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
        var takenMs = await _recorder.RecordAsync(directory, taken.Hash, session, safety: false, taken.Files, taken.Skipped.Count, historyRow: true);
        return new Recorded(taken.ToWire(_options.MaxListedPaths), _catalogue.DropEpoch, takenMs);
    }

    public async Task<ChangesResult> ChangesAsync(string directory, string since, string? after, CancellationToken cancellationToken)
    {
        var sinceId = WorkspaceIdentity.ParseHash(since, "since");
        if (WorkspaceNames.IsBinding(directory))
        {
            var now = await Remote(directory).SnapshotAsync(cancellationToken);
            var store = _directory.Store();
            return (await pools.Snapshots.Run(() => RemoteChanges.Between(store, sinceId, now.Tree, cancellationToken), cancellationToken)).ToWire(_options.MaxListedPaths, after);
        }
        var changes = await OnWorkspace(directory, workspace => workspace.Changes(sinceId, cancellationToken), cancellationToken);
        return changes.ToWire(_options.MaxListedPaths, after);
    }

    public async Task<Restored> RestoreAsync(string directory, string to, IReadOnlyList<string>? files, SessionAppend session, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(session.SessionId);
        return await _restore.RunAsync(directory, to, files, session, WorkspaceNames.IsBinding(directory) ? Remote(directory) : null, OnWorkspace, cancellationToken);
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
        var store = _directory.Store();
        var usage = await pools.Snapshots.Run(() => StoreCollector.Usage(store));
        return new WorkspaceUsage(Key, _catalogue.Directory, usage.Objects, usage.Bytes, _catalogue.Count, _catalogue.SessionCount);
    }

    public async Task<CollectionReport> CollectAsync(CancellationToken cancellationToken)
    {
        // This collection does what a pending automatic one would; left pending, it would change the store right
        // after this one reported it.
        _collection.Cancel();
        var transient = _directory.Opened?.RecentTrees(_options.Retention.Grace) ?? [];
        var outcome = await _catalogue.CollectAsync(_directory.Store(), _options.Retention, transient, pools.Snapshots, cancellationToken);
        if (outcome.Remaining.Bytes > _options.Retention.MaxBytes)
        {
            GrainLog.OverMaxBytes(logger, Key, outcome.Remaining.Bytes, _options.Retention.MaxBytes);
        }
        GrainLog.Collected(logger, Key, outcome.DroppedSnapshots, outcome.ObjectsDeleted, outcome.BytesFreed, outcome.Remaining.Bytes);
        return new CollectionReport(Key, outcome.DroppedSnapshots, outcome.ObjectsDeleted, outcome.BytesFreed,
            new StoreSize(outcome.Remaining.Objects, outcome.Remaining.Bytes));
    }

    /// <summary>The remote workspace <paramref name="binding"/> names, served by its agent (see <see cref="RemoteWorkspace"/>).</summary>
    private RemoteWorkspace Remote(string binding) => new(GrainFactory, Key, _directory.StoreDirectory, binding);

    /// <summary>Runs <paramref name="work"/> on the engine workspace (<see cref="WorkspaceDirectory.RunAsync"/>); the canonical directory, once opened, is stored with the next write (a track's).</summary>
    private async Task<T> OnWorkspace<T>(string directory, Func<Workspace, T> work, CancellationToken cancellationToken)
    {
        var result = await _directory.RunAsync(directory, work, _catalogue.SetDirectory, cancellationToken);
        _verification.Tracked();
        return result;
    }
}
