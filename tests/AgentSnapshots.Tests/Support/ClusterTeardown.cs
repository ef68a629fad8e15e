using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;

namespace AgentSnapshots.Tests.Support;

/// <summary>How every test stops what it started: in-process test clusters, and silo or client hosts.</summary>
public static class ClusterTeardown
{
    private static readonly TimeSpan HostStopTime = TimeSpan.FromSeconds(10);

    public static async Task StopAsync(InProcessTestCluster? cluster)
    {
        if (cluster is null)
        {
            return;
        }
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    /// <summary>Stops each host (in order, clients first if they come first), giving each a bounded time, and disposes it.</summary>
    public static async Task StopAsync(params IEnumerable<IHost?> hosts)
    {
        foreach (var host in hosts)
        {
            if (host is null)
            {
                continue;
            }
            using var timeout = new CancellationTokenSource(HostStopTime);
            try
            {
                await host.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Out of time: disposing it below ends what is left.
            }
            host.Dispose();
        }
    }
}
