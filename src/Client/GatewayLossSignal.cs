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
