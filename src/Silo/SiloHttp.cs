using System.Net;
using AgentSnapshots.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace AgentSnapshots.Silo;

/// <summary>
/// The silo's operations surface: health endpoints and the optional Orleans Dashboard on <c>Health:Port</c>, and
/// OpenTelemetry metrics and traces exported over OTLP when <c>Telemetry:OtlpEndpoint</c> is set.
/// </summary>
public static class SiloHttp
{
    public const string HealthPortKey = "Health:Port";
    public const string DashboardKey = "Dashboard:Enabled";
    public const string OtlpEndpointKey = "Telemetry:OtlpEndpoint";
    public const string DashboardPath = "/dashboard";

    /// <summary>Meters exported: Orleans' own and ours.</summary>
    public static readonly string[] Meters = ["Microsoft.Orleans", SnapshotMetrics.MeterName];

    /// <summary>Activity sources traced: Orleans' (runtime, application calls, storage, lifecycle) and ours.</summary>
    public static readonly string[] ActivitySources = ["Microsoft.Orleans.*", SnapshotMetrics.MeterName];

    /// <summary>
    /// Kestrel on <c>Health:Port</c> (every interface) when set, otherwise no HTTP listener at all; the dashboard's
    /// grain side when <c>Dashboard:Enabled</c>; OpenTelemetry exporters when <c>Telemetry:OtlpEndpoint</c> is set.
    /// </summary>
    public static WebApplicationBuilder AddAgentSnapshotsOperations(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Configuration.GetValue<int?>(HealthPortKey);
        if (port is { } p and > 0 and <= 65535)
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Any, p));
        }
        else
        {
            if (port is not null and not 0)
            {
                throw new OptionsValidationException(HealthPortKey, typeof(int), [$"{HealthPortKey} {port} is not a TCP port (1-65535, or 0/unset for no HTTP listener)."]);
            }

            builder.Services.AddSingleton<IServer, NoHttpServer>();
        }

        if (builder.Configuration.GetValue(DashboardKey, defaultValue: false))
        {
            ((IHostApplicationBuilder)builder).UseOrleans(silo => silo.AddDashboard());
        }

        builder.AddAgentSnapshotsTelemetry();
        return builder;
    }

    /// <summary>OpenTelemetry metrics (Orleans' and ours) and traces, exported over OTLP when an endpoint is configured.</summary>
    public static void AddAgentSnapshotsTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var endpoint = builder.Configuration[OtlpEndpointKey];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return;
        }

        var uri = new Uri(endpoint);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("agentsnapshots-silo", serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(m => m.AddMeter(Meters).AddOtlpExporter(o => o.Endpoint = uri))
            .WithTracing(t => t.AddSource(ActivitySources).AddOtlpExporter(o => o.Endpoint = uri));
    }

    /// <summary>Maps <c>/health/live</c>, <c>/health/ready</c> and, when enabled, the dashboard.</summary>
    public static WebApplication MapAgentSnapshotsOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health/live", () => Results.Json(new HealthReport("live", null, null)));
        app.MapGet("/health/ready", Ready);
        if (app.Configuration.GetValue(DashboardKey, defaultValue: false))
        {
            app.MapOrleansDashboard(DashboardPath);
        }

        return app;
    }

    /// <summary>Ready: this silo is Active in the cluster's membership and its grain storage answers a query.</summary>
    private static async Task<IResult> Ready(ILocalSiloDetails local, IClusterMembershipService membership, IConfiguration configuration, IOptions<SnapshotsOptions> snapshots, CancellationToken ct)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        if (status != SiloStatus.Active)
        {
            return Results.Json(new HealthReport("not ready", status.ToString(), null), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await ProbeStorageAsync(configuration, snapshots.Value, timeout.Token);
        }
        catch (Exception e) when (e is NpgsqlException or SqliteException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return Results.Json(new HealthReport("not ready", status.ToString(), "unreachable: " + e.Message), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return Results.Json(new HealthReport("ready", status.ToString(), "ok"));
    }

    private static async Task ProbeStorageAsync(IConfiguration configuration, SnapshotsOptions snapshots, CancellationToken ct)
    {
        if (SiloHostingExtensions.PostgresConnectionString(configuration) is { } postgres)
        {
            // A new connection, not a pooled one: the probe must reach the server now.
            var fresh = new NpgsqlConnectionStringBuilder(postgres) { Pooling = false, Timeout = 5 }.ConnectionString;
            await using var connection = new NpgsqlConnection(fresh);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(ct);
            return;
        }

        await using var sqlite = new SqliteConnection(SqliteSchema.ConnectionStringFor(snapshots.DataDir));
        await sqlite.OpenAsync(ct);
        await using var query = sqlite.CreateCommand();
        query.CommandText = "SELECT count(*) FROM OrleansQuery";
        await query.ExecuteScalarAsync(ct);
    }

    /// <summary>The JSON body of the health endpoints.</summary>
    public sealed record HealthReport(string Status, string? Membership, string? Storage);

    /// <summary>The server used when no HTTP port is configured: listens nowhere.</summary>
    private sealed class NoHttpServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
