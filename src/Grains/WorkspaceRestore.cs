using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// A workspace's restore, of a directory on the silo or of a remote workspace through its agent: the working tree made
/// to match a snapshot after a safety snapshot, which is recorded for the session whether or not the restore went
/// through. Its own class so the workspace grain keeps only its verbs.
/// </summary>
internal sealed class WorkspaceRestore(WorkspaceDirectory local, WorkspaceRecorder recorder, SnapshotsOptions options, string key, ILogger logger)
{
    /// <summary>Runs work on the engine workspace, as the grain does (<see cref="WorkspaceDirectory.RunAsync"/>).</summary>
    public delegate Task<RestoreOutcome> OnWorkspace(string directory, Func<Workspace, RestoreOutcome> work, CancellationToken cancellationToken);

    /// <summary>Restores <paramref name="directory"/> (through <paramref name="remote"/> if it is a remote workspace's binding).</summary>
    public async Task<Restored> RunAsync(string directory, SnapshotHash to, IReadOnlyList<string>? files, SessionAppend session, RemoteWorkspace? remote,
        OnWorkspace onWorkspace, CancellationToken cancellationToken)
    {
        var toId = to.ToObjectId();
        var scope = files?.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();
        if (remote is not null)
        {
            var restored = await remote.RestoreAsync(toId, scope, cancellationToken);
            var safetyMs = await recorder.RecordAsync(directory, restored.Safety.Hash, session, safety: true, restored.Safety.Files, restored.Safety.Skipped.Count,
                historyRow: !string.Equals(restored.Safety.Hash, session.Previous, StringComparison.Ordinal));
            GrainLog.WorkspaceRestored(logger, key, toId, restored.Safety.Tree, restored.Written.Count, restored.Deleted.Count);
            return new Restored(restored.ToWire(options.MaxListedPaths), restored.Safety.Files, restored.Safety.Skipped.Count, recorder.DropEpoch, safetyMs);
        }
        var previous = local.Opened?.LastSnapshot;
        RestoreOutcome outcome;
        var takenMs = 0L;
        try
        {
            outcome = await onWorkspace(directory, workspace => workspace.Restore(toId, scope, cancellationToken), cancellationToken);
        }
        finally
        {
            // The restore's safety snapshot is recorded whether or not the restore went through: it is the way back.
            // It goes into the session's history too, unless it is the snapshot the session took just before.
            if (local.Opened?.LastSnapshot is { } safety && !ReferenceEquals(safety, previous))
            {
                takenMs = await recorder.RecordAsync(directory, safety.Hash, session, safety: true, safety.Files, safety.Skipped.Count,
                    historyRow: !string.Equals(safety.Hash, session.Previous, StringComparison.Ordinal));
            }
        }
        GrainLog.WorkspaceRestored(logger, key, toId, outcome.Safety.Tree, outcome.Written.Count, outcome.Deleted.Count);
        return new Restored(outcome.ToWire(options.MaxListedPaths), outcome.Safety.Files, outcome.Safety.Skipped.Count, recorder.DropEpoch, takenMs);
    }
}
