namespace AgentSnapshots.Client;

/// <summary>
/// A token cancelled each time the client loses a gateway (the number of connected gateways drops): a silo died or
/// left. A call the client sent through another silo's gateway to a grain on the lost silo is not failed by Orleans
/// (dotnet/orleans#10165): it would wait out the response timeout (minutes, for long snapshots). A call that is safe
/// to repeat runs under <see cref="Token"/> as it was when the call started, so it is cancelled at the loss and sent
/// again; the grain's new activation (or its old one, if its silo lives) answers the repeat.
/// </summary>
internal sealed class GatewayLossSignal : IDisposable
{
    private CancellationTokenSource _current = new();
    private long _lastLossTicks;

    /// <summary>
    /// How much of <paramref name="settleTime"/> after the last gateway loss is still to come (zero when none is): until
    /// the cluster declares the lost silo dead, it may still route a new call to a grain that lived there.
    /// </summary>
    public TimeSpan SettlingFor(TimeSpan settleTime)
    {
        var last = Interlocked.Read(ref _lastLossTicks);
        if (last == 0)
        {
            return TimeSpan.Zero;
        }
        var left = settleTime - (DateTime.UtcNow - new DateTime(last, DateTimeKind.Utc));
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Cancelled at the next gateway loss.</summary>
    public CancellationToken Token => Volatile.Read(ref _current).Token;

    /// <summary>Orleans's report of a change in the number of connected gateways.</summary>
    public void OnGatewayCountChanged(object? sender, GatewayCountChangedEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.NumberOfConnectedGateways >= e.PreviousNumberOfConnectedGateways)
        {
            return;
        }
        Interlocked.Exchange(ref _lastLossTicks, DateTime.UtcNow.Ticks);
        var lost = Interlocked.Exchange(ref _current, new CancellationTokenSource());
        // Cancelled off the reporting thread: the cancelled calls' continuations must not run inside Orleans's event.
        _ = Task.Run(() =>
        {
            lost.Cancel();
            lost.Dispose();
        });
    }

    public void Dispose() => Volatile.Read(ref _current).Dispose();
}
