using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// A session's restore and revert, once the session grain checked its id: the bound workspace checked, a safety
/// snapshot recorded in the history first, then the workspace's restore and its own safety snapshot. Its own class so
/// the session grain keeps only its verbs.
/// </summary>
internal sealed class SessionRestore(SessionRecords history, OwnSnapshots own, TenantRootsCheck roots, SessionStepStats steps, SessionWrites writes, IGrainFactory grains, string sessionId, ILogger logger)
{
    public async Task<RestoreResult> RunAsync(SnapshotHash to, IReadOnlyList<string>? files, string verb, CancellationToken cancellationToken)
    {
        var (workspaceId, directory) = history.RequireTracked(SessionIds.NameOf(sessionId), verb);
        roots.BoundWithin(directory);
        var workspace = grains.GetGrain<IWorkspaceGrain>(workspaceId);
        var toHash = await own.RequireAsync(to, "to");
        var label = SafetyLabels.Before(verb, toHash.Hex);

        // The safety snapshot is in the history (and the workspace's catalogue) before anything is touched: a restore
        // that fails halfway, or a silo that dies during it, leaves the way back listed. The workspace takes its own
        // safety snapshot too; it is the same tree unless the workspace changed in between, and then it is recorded too.
        var beforeAppend = history.NextAppend(label);
        var before = await writes.RecordingAsync(workspace.TrackAsync(directory, beforeAppend, cancellationToken));
        steps.Request(history.Appended(beforeAppend, beforeAppend.RowFor(before.Snapshot.Hash, before.Snapshot.Files, before.Snapshot.SkippedCount, before.TakenMs),
            workspaceId, directory, before.DropEpoch)!);

        // The workspace writes the restore's own safety snapshot to the history only if it differs from the one above.
        var safetyAppend = history.NextAppend(label);
        var restored = await writes.RecordingAsync(own.RetentionChecked(() => workspace.RestoreAsync(directory, toHash, files, safetyAppend, cancellationToken), (toHash, "to")));
        var result = restored.Result;
        var safety = string.Equals(result.Safety, before.Snapshot.Hash, StringComparison.Ordinal)
            ? null
            : safetyAppend.RowFor(result.Safety, restored.SafetyFiles, restored.SafetySkipped, restored.TakenMs);
        if (history.Appended(safetyAppend, safety, workspaceId, directory, restored.DropEpoch) is { } entry)
        {
            steps.Request(entry);
        }
        GrainLog.SessionRestored(logger, sessionId, verb, toHash.Hex, result.Safety, result.WrittenCount, result.DeletedCount);
        return result;
    }
}
