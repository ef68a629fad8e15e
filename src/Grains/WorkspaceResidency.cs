namespace AgentSnapshots;

/// <summary>
/// What an active workspace grain holds: a place among the silo's active workspaces and, inside it, the store's
/// single-writer lock. Its own class so the grain's activation and deactivation say only what they hold, in order.
/// </summary>
internal sealed class WorkspaceResidency : IDisposable
{
    private readonly ActiveWorkspace _place;
    private readonly WorkspaceLock _lock;

    private WorkspaceResidency(ActiveWorkspace place, WorkspaceLock held)
    {
        _place = place;
        _lock = held;
    }

    /// <summary>
    /// A place first: at the bound, the least recently used idle workspaces are asked to deactivate (closing their lock
    /// files) and this waits for one, or fails retryably. Then the lock: a duplicate activation elsewhere (failover)
    /// waits here, or fails retryably.
    /// </summary>
    public static async Task<WorkspaceResidency> EnterAsync(ActiveWorkspaces active, WorkspaceLockSet locks, string key, string storeDirectory, Action deactivate, CancellationToken cancellationToken)
    {
        var place = await active.EnterAsync(key, deactivate, WorkspaceLock.DefaultWait, cancellationToken);
        try
        {
            return new WorkspaceResidency(place, await locks.AcquireAsync(storeDirectory, WorkspaceLock.DefaultWait, cancellationToken));
        }
        catch
        {
            place.Dispose();
            throw;
        }
    }

    /// <summary>A call starts: until <see cref="End"/> the workspace is not asked to give its place up.</summary>
    public void Begin() => _place.Begin();

    public void End() => _place.End();

    /// <summary>The lock file closes first: then the place may go to another workspace's activation.</summary>
    public void Dispose()
    {
        _lock.Dispose();
        _place.Dispose();
    }
}
