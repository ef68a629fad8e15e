using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// A session's track, once the session grain checked its id: the directory resolved and checked against the tenant's
/// roots (or the remote workspace bound), the snapshot taken and recorded by the workspace in one transaction, then
/// the history pruned if retention dropped anything. Its own class so the session grain keeps only its verbs.
/// </summary>
internal sealed class SessionTrack(SessionRecords history, TenantRootsCheck roots, SessionStepStats steps, SessionWrites writes, IGrainFactory grains, SnapshotsOptions options, string sessionId, ILogger logger)
{
    private string Name => SessionIds.NameOf(sessionId);

    /// <summary>Tracks <paramref name="directory"/>, or the bound one when it is null.</summary>
    public async Task<TrackResult> DirectoryAsync(string? directory, string? label, CancellationToken cancellationToken)
    {
        var (session, bound) = (Name, history.Directory);
        string canonical;
        if (directory is null && bound is not null)
        {
            // A bound session's directory is resolved where it is snapshotted: the workspace grain resolves it again
            // in the same file-thread job (refusing it if it now resolves elsewhere), so resolving it here too would
            // cost a thread-pool hop and the same system calls twice per track.
            canonical = roots.BoundWithin(bound);
        }
        else
        {
            // Resolved once, here, and checked against the tenant's roots as resolved: the workspace grain snapshots
            // this canonical path only if it still resolves to itself, so a symlink swapped in afterwards is refused
            // there, never followed outside the roots.
            canonical = await Task.Run(() => roots.Within(directory!, SessionRecords.Resolve(session, bound, directory, options)), cancellationToken);
        }
        return await RecordAsync(WorkspaceIdentity.IdFor(canonical), canonical, label, cancellationToken);
    }

    /// <summary>Tracks the remote workspace named <paramref name="workspace"/>.</summary>
    public Task<TrackResult> RemoteAsync(string workspace, string? label, CancellationToken cancellationToken)
    {
        var (binding, workspaceId) = RemoteBinding.For(sessionId, Name, history.Directory, workspace);
        return RecordAsync(workspaceId, binding, label, cancellationToken);
    }

    /// <summary>Tracks the workspace <paramref name="canonical"/> (a directory, or a remote binding) and records the snapshot.</summary>
    private async Task<TrackResult> RecordAsync(string boundId, string canonical, string? label, CancellationToken cancellationToken)
    {
        // A bound session keeps its workspace's id (a remote workspace's is derived from its tenant and name).
        var workspaceId = history.WorkspaceId ?? boundId;
        var workspace = grains.GetGrain<IWorkspaceGrain>(workspaceId);
        // The workspace writes the history row with its catalogue entry, in one transaction.
        var append = history.NextAppend(label);
        var recorded = await writes.RecordingAsync(workspace.TrackAsync(canonical, append, cancellationToken));
        var entry = history.Appended(append, append.RowFor(recorded.Snapshot.Hash, recorded.Snapshot.Files, recorded.Snapshot.SkippedCount, recorded.TakenMs),
            workspaceId, canonical, recorded.DropEpoch)!;
        if (recorded.DropEpoch != history.SyncedEpoch)
        {
            await history.PruneDroppedAsync(workspace, logger);
            await history.SaveAsync();
        }
        GrainLog.Tracked(logger, sessionId, recorded.Snapshot.Hash, recorded.Snapshot.Files, recorded.Snapshot.SkippedCount);
        steps.Request(entry);
        return recorded.Snapshot;
    }
}
