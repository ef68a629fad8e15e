using AgentSnapshots.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// The sole writer of one workspace (key: <c>WorkspaceIdentity.IdFor(directory)</c>), holding its store's lock while
/// active (<see cref="WorkspaceResidency"/>). It runs the engine on the snapshot threads (<see cref="WorkspaceDirectory"/>),
/// keeps the <see cref="SnapshotCatalogue"/> and collects in its own turns (<see cref="WorkspaceCollection"/>), so no
/// snapshot is half-written while collection runs. Each flow is a class of its own; the grain keeps the verbs.
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
    WorkspaceStores stores,
    ILogger<WorkspaceGrain> logger) : Grain, IWorkspaceGrain, IIncomingGrainCallFilter
{
    private readonly SnapshotsOptions _options = options.Value;
    private WorkspaceCatalogue _catalogue = null!;
    private WorkspaceDirectory _directory = null!;
    private WorkspaceCollection _collection = null!;
    private WorkspaceRecorder _recorder = null!;
    private WorkspaceRestore _restore = null!;
    private WatchVerificationSchedule _verification = null!;
    private WorkspaceResidency? _residency;

    private string Key => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        RequestChecks.CheckWorkspaceId(Key);
        _directory = new WorkspaceDirectory(Key, _options, pools, watches, stores, logger);
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
        _collection = new WorkspaceCollection(this, _catalogue, _directory, _options, pools, Key, logger);
        _recorder = new WorkspaceRecorder(_catalogue, _collection, _directory, Key);
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
        var taken = await TakeAsync(directory, transient: true, cancellationToken);
        // Recorded for no session, but diffed through any silo: in a backed store it is stored like a track's.
        await _directory.PublishAsync(cancellationToken);
        return taken.ToWire(_options.MaxListedPaths);
    }

    public async Task<Recorded> TrackAsync(string directory, SessionAppend session, CancellationToken cancellationToken)
    {
        RequestChecks.CheckSessionId(session.SessionId);
        var taken = await TakeAsync(directory, transient: false, cancellationToken);
        var takenMs = await _recorder.RecordAsync(directory, taken.Hash, session, safety: false, taken.Files, taken.Skipped.Count, historyRow: true);
        return new Recorded(taken.ToWire(_options.MaxListedPaths), _catalogue.DropEpoch, takenMs);
    }

    public async Task<ChangesResult> ChangesAsync(string directory, string since, string? after, CancellationToken cancellationToken)
    {
        var sinceId = WorkspaceIdentity.ParseHash(since, "since");
        var changes = WorkspaceNames.IsBinding(directory)
            ? await Remote(directory).ChangesAsync(_directory.Store, sinceId, pools, cancellationToken)
            : await OnWorkspace(directory, workspace => workspace.Changes(sinceId, cancellationToken), cancellationToken);
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

    public Task<WorkspaceUsage> UsageAsync() => _collection.UsageAsync();

    public Task<CollectionReport> CollectAsync(CancellationToken cancellationToken) => _collection.CollectAsync(cancellationToken);

    /// <summary>The remote workspace <paramref name="binding"/> names, served by its agent (see <see cref="RemoteWorkspace"/>).</summary>
    private RemoteWorkspace Remote(string binding) => new(GrainFactory, Key, _directory.StoreDirectory, binding);

    /// <summary>The workspace now, snapshotted by its agent if it is remote; a <paramref name="transient"/> one is recorded for no session.</summary>
    private async Task<SnapshotTaken> TakeAsync(string directory, bool transient, CancellationToken cancellationToken) => WorkspaceNames.IsBinding(directory)
        ? await Remote(directory).SnapshotAsync(cancellationToken)
        : await OnWorkspace(directory, workspace => transient ? workspace.TransientSnapshot(cancellationToken) : workspace.Snapshot(cancellationToken), cancellationToken);

    /// <summary>Runs <paramref name="work"/> on the engine workspace (<see cref="WorkspaceDirectory.RunAsync"/>); the canonical directory, once opened, is stored with the next write (a track's).</summary>
    private async Task<T> OnWorkspace<T>(string directory, Func<Workspace, T> work, CancellationToken cancellationToken)
    {
        var result = await _directory.RunAsync(directory, work, _catalogue.SetDirectory, cancellationToken);
        _verification.Tracked();
        return result;
    }
}
