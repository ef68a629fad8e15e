using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentSnapshots.Silo.Health;

/// <summary>Ready needs this silo to be Active in the cluster's membership (not joining, not shutting down).</summary>
internal sealed class MembershipHealthCheck(ILocalSiloDetails local, IClusterMembershipService membership) : IHealthCheck
{
    public const string Name = "membership";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy(status.ToString())
            : HealthCheckResult.Unhealthy(status.ToString()));
    }
}
