namespace AgentSnapshots;

/// <summary>
/// A session's step stats, computed off the request path: asked of a diff worker for each new step, and kept when it
/// hands them back (<see cref="ISessionSteps"/>). Its own class so the session grain keeps only its verbs; the write
/// timer is the grain's, so the write happens in one of the grain's turns.
/// </summary>
internal sealed class SessionStepStats(IGrainBase grain, IGrainFactory grains, SessionRecords history, string sessionId)
{
    /// <summary>The longest a step's stats wait in memory for a write.</summary>
    private static readonly TimeSpan WrittenWithin = TimeSpan.FromSeconds(30);

    private IGrainTimer? _write;

    /// <summary>Asks a diff worker for the step's stats; it hands them back through <see cref="ISessionSteps.RecordStepAsync"/>.</summary>
    public void Request(SessionSnapshot entry)
    {
        if (entry.PendingFrom is { } from && history.WorkspaceId is { } workspaceId)
        {
            grains.GetGrain<IDiffWorkerGrain>(0).ComputeStepAsync(workspaceId, SnapshotHashIds.Recorded(from), SnapshotHashIds.Recorded(entry.Hash), sessionId).Ignore();
        }
    }

    /// <summary>
    /// Keeps the step's stats in memory, written with the next track's transaction (no write of their own), or within
    /// <see cref="WrittenWithin"/>, or at deactivation. A crash before then loses only stats, which the next
    /// activation computes again (the step is still pending in storage).
    /// </summary>
    public void Record(string hash, string from, StepStats stats)
    {
        if (history.SetStep(hash, from, stats))
        {
            _write ??= grain.RegisterGrainTimer(async _ =>
            {
                _write?.Dispose();
                _write = null;
                await history.SaveAsync();
            }, WrittenWithin, Timeout.InfiniteTimeSpan);
        }
    }
}
