using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// When a workspace grain verifies its watcher's view against the disk. Its own class so the grain keeps only its
/// verbs; the timer is the grain's, so a verification starts in one of the grain's turns, between tracks.
/// </summary>
internal sealed class WatchVerificationSchedule(IGrainBase grain, WatchOptions watch, FileWorkPools pools, Func<Workspace?> workspace, string key, ILogger logger)
{
    private IGrainTimer? _timer;
    private Task _verification = Task.CompletedTask;
    private int _tracksSinceVerify;
    private DateTime _lastTrackUtc;
    private bool _verifiedSinceTrack = true;

    /// <summary>
    /// After a track of a watched workspace: counts it towards <c>Snapshots:Watch:VerifyEvery</c> and (re)arms the
    /// verification timer: at once when the count is reached (in a turn of its own, so this track's reply does not
    /// wait for it), otherwise after <c>VerifyAfterIdle</c> without a track.
    /// </summary>
    public void Tracked()
    {
        if (!watch.Enabled || (watch.VerifyEvery <= 0 && watch.VerifyAfterIdle <= TimeSpan.Zero)) return;
        _lastTrackUtc = DateTime.UtcNow;
        _verifiedSinceTrack = false;
        _tracksSinceVerify++;
        var due = watch.VerifyEvery > 0 && _tracksSinceVerify >= watch.VerifyEvery ? TimeSpan.Zero
            : watch.VerifyAfterIdle > TimeSpan.Zero ? watch.VerifyAfterIdle
            : Timeout.InfiniteTimeSpan;
        if (_timer is null)
        {
            _timer = grain.RegisterGrainTimer(_ => VerifyIfDueAsync(), due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Starts a verification of the watcher's view if one is due and none runs: its start (a copy of the state) in
    /// this turn, between tracks; its walk on the snapshot threads, not awaited, so tracks go on meanwhile. The engine
    /// logs, counts and heals what it finds.
    /// </summary>
    private async Task VerifyIfDueAsync()
    {
        var idle = DateTime.UtcNow - _lastTrackUtc;
        var byCount = watch.VerifyEvery > 0 && _tracksSinceVerify >= watch.VerifyEvery;
        var byIdle = watch.VerifyAfterIdle > TimeSpan.Zero && !_verifiedSinceTrack && idle >= watch.VerifyAfterIdle;
        if (!byCount && !byIdle)
        {
            if (watch.VerifyAfterIdle > TimeSpan.Zero && !_verifiedSinceTrack) _timer?.Change(watch.VerifyAfterIdle - idle, Timeout.InfiniteTimeSpan);
            return;
        }
        if (workspace() is not { } opened || !_verification.IsCompleted) return;
        _tracksSinceVerify = 0;
        _verifiedSinceTrack = true;
        if (await pools.Snapshots.Run(opened.StartVerification) is not { } verification) return;
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

    /// <summary>The grain deactivates: no further verification starts.</summary>
    public void Stop() => _timer?.Dispose();
}
