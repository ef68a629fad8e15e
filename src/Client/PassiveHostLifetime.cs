using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Client;

/// <summary>A host lifetime that listens to nothing: the SDK's private host starts and stops only when told.</summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
