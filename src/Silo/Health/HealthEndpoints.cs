using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentSnapshots.Silo.Health;

/// <summary>
/// <c>/health/live</c> (the process answers) and <c>/health/ready</c> (membership Active and grain storage answering),
/// through ASP.NET Core health checks; both answer a small JSON report, 503 when not healthy. No key needed.
/// </summary>
internal static class HealthEndpoints
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    private const string ReadyTag = "ready";

    public static IServiceCollection AddSiloHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<MembershipHealthCheck>(MembershipHealthCheck.Name, tags: [ReadyTag])
            .AddCheck<StorageHealthCheck>(StorageHealthCheck.Name, tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));
        return services;
    }

    public static IEndpointRouteBuilder MapSiloHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = (http, report) => Write(http, report, "live", "not live") })
            .ExcludeFromDescription();
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = (http, report) => Write(http, report, "ready", "not ready") })
            .ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>The body of the health endpoints: the overall status and each check's description.</summary>
    public sealed record Report(string Status, string? Membership, string? Storage);

    private static Task Write(HttpContext http, HealthReport report, string healthy, string unhealthy)
    {
        var body = new Report(
            report.Status == HealthStatus.Healthy ? healthy : unhealthy,
            report.Entries.TryGetValue(MembershipHealthCheck.Name, out var membership) ? membership.Description : null,
            report.Entries.TryGetValue(StorageHealthCheck.Name, out var storage) ? storage.Description : null);
        http.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(http.Response.Body, body, ContractJson.Options, http.RequestAborted);
    }
}
