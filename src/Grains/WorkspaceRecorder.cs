namespace AgentSnapshots;

/// <summary>
/// Records a workspace's snapshots for sessions: the catalogue entry and what the session asked for in one
/// transaction, then an automatic collection if one is due. Shared by the workspace grain's track and its restore
/// flow (<see cref="WorkspaceRestore"/>), which both record snapshots.
/// </summary>
internal sealed class WorkspaceRecorder(WorkspaceCatalogue catalogue, WorkspaceCollection collection, WorkspaceDirectory local, string key)
{
    /// <summary>The workspace's drop epoch: it grows whenever retention drops a snapshot.</summary>
    public long DropEpoch => catalogue.DropEpoch;

    /// <summary>
    /// Records <paramref name="hash"/> in the catalogue for the session and, in the same transaction, what the session
    /// asked for (its history row when <paramref name="historyRow"/>, its stats, its binding). Returns the row's time.
    /// </summary>
    public async Task<long> RecordAsync(string directory, string hash, SessionAppend session, bool safety, int files, int skipped, bool historyRow)
    {
        // A backed store's new objects are in the backend before the snapshot is recorded (else: 503, nothing recorded).
        await local.PublishAsync(CancellationToken.None);
        catalogue.Record(hash, session.SessionId, safety);
        var takenMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = new RowBatch();
        session.AddTo(batch, historyRow ? session.RowFor(hash, files, skipped, takenMs) : null, key, directory, catalogue.DropEpoch);
        await catalogue.SaveAsync(batch);
        collection.ScheduleIfDue();
        return takenMs;
    }
}
