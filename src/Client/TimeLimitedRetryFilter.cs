namespace AgentSnapshots.Client;

/// <summary>Retries the first connection every half second until the time is up.</summary>
internal sealed class TimeLimitedRetryFilter(TimeSpan limit) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(500);
    private DateTimeOffset? _deadline;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        _deadline ??= DateTimeOffset.UtcNow + limit;
        if (DateTimeOffset.UtcNow + Pause >= _deadline)
        {
            return false;
        }
        await Task.Delay(Pause, cancellationToken);
        return true;
    }
}
