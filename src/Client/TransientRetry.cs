using System.Diagnostics;
using Orleans.Runtime.Messaging;

namespace AgentSnapshots.Client;

/// <summary>
/// Retries a call that met transient unavailability, for up to <c>CallRetryTime</c>, only where repeating it cannot
/// do harm. A call the cluster provably did not run (a message rejected because its target silo is unreachable or
/// dead, a connection that failed, a gateway too busy, a workspace still held by another silo) is repeated whatever it
/// is. A call that may have run (its silo died while it was pending) is repeated only when the caller's check says
/// so: always for reads, tracks and gc; for a restore or revert only if it provably wrote nothing (see
/// <see cref="SafetyLabels"/>); never for a delete. Calls that are always safe to repeat are also cancelled when the
/// client loses a gateway (<see cref="GatewayLossSignal"/>), and repeated: Orleans would leave them waiting. One sent
/// in the <see cref="SettleTime"/> after a loss, while the cluster may still route it to the lost silo, is cancelled
/// and sent again when that time is over (once: the repeat runs as long as it needs).
/// </summary>
internal sealed class TransientRetry(TimeSpan limit, GatewayLossSignal gatewayLoss)
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(2);

    /// <summary>How long after a gateway loss the cluster may still send calls to the lost silo (it is declared dead in about 15 s by default).</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(20);

    /// <summary>Repeating is always safe (reads, tracks, gc).</summary>
    public static readonly Func<Exception, Task<bool>> Always = _ => Task.FromResult(true);

    /// <summary>Repeating is safe only if the cluster did not run the call (delete).</summary>
    public static readonly Func<Exception, Task<bool>> Never = _ => Task.FromResult(false);

    /// <summary>
    /// Runs <paramref name="call"/>, repeating it after a pause while it fails transiently and either the cluster did
    /// not run it or <paramref name="mayRepeat"/> (asked only then) says repeating is safe; otherwise its failure
    /// (or the one <paramref name="mayRepeat"/> throws to explain) reaches the caller.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<Exception, Task<bool>> mayRepeat, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var pause = FirstPause;
        var cancelAtLoss = mayRepeat == Always;
        while (true)
        {
            var lossToken = gatewayLoss.Token;
            using var attempt = cancelAtLoss ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lossToken) : null;
            if (attempt is not null && gatewayLoss.SettlingFor(SettleTime) is var settling && settling > TimeSpan.Zero)
            {
                attempt.CancelAfter(settling);
            }
            try
            {
                return await call(attempt?.Token ?? cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt is { IsCancellationRequested: true } && watch.Elapsed < limit)
            {
                // Cancelled here (a gateway lost, or sent while the cluster was settling after one), not by the caller:
                // sent again at once.
                continue;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && watch.Elapsed + pause < limit && (NotRun(e) || MayHaveRun(e)))
            {
                if (!NotRun(e) && !await mayRepeat(e).ConfigureAwait(false))
                {
                    throw;
                }
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
            }
        }
    }

    /// <summary>The cluster refused the call before running it.</summary>
    public static bool NotRun(Exception e) => e is OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException
        or SnapshotServiceException { Error: ServiceError.WorkspaceLocked };

    /// <summary>The silo running the call went away: it may or may not have run.</summary>
    public static bool MayHaveRun(Exception e) => e is SiloUnavailableException;
}
