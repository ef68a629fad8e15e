using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// The workspace grain's automatic collection: after <c>CollectEvery</c> recorded snapshots, a one-shot grain timer
/// runs retention and collection in a turn of its own (so no track's reply waits for it, and no snapshot is
/// half-written while it runs). Its own class so the grain keeps only its verbs.
/// </summary>
internal sealed class CollectionSchedule(IGrainBase grain, RetentionOptions retention, Func<CancellationToken, Task> collect, string key, ILogger logger)
{
    private IGrainTimer? _timer;

    /// <summary>Schedules a collection if <paramref name="recordedSinceCollection"/> reached <c>CollectEvery</c> and none is pending.</summary>
    public void ScheduleIfDue(long recordedSinceCollection)
    {
        var every = retention.CollectEvery;
        if (every <= 0 || recordedSinceCollection < every || _timer is not null)
        {
            return;
        }
        _timer = grain.RegisterGrainTimer(async _ =>
        {
            Cancel();
            try
            {
                await collect(CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EngineException or OrleansException)
            {
                GrainLog.CollectionFailed(logger, e, key);
            }
        }, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Drops a pending collection: one that runs now does what it would have done.</summary>
    public void Cancel()
    {
        _timer?.Dispose();
        _timer = null;
    }
}
