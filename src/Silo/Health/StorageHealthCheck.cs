using AgentSnapshots.Engine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSnapshots.Silo.Health;

/// <summary>Ready needs the grain storage to answer a query now: PostgreSQL in cluster mode, the SQLite file otherwise.</summary>
internal sealed class StorageHealthCheck(IConfiguration configuration, IOptions<SnapshotsOptions> snapshots) : IHealthCheck
{
    public const string Name = "storage";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ProbeAsync(cancellationToken);
            return HealthCheckResult.Healthy("ok");
        }
        catch (Exception e) when (e is NpgsqlException or SqliteException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("unreachable: " + e.Message);
        }
    }

    private async Task ProbeAsync(CancellationToken ct)
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

        await using var sqlite = new SqliteConnection(SqliteSchema.ConnectionStringFor(snapshots.Value.DataDir));
        await sqlite.OpenAsync(ct);
        await using var query = sqlite.CreateCommand();
        query.CommandText = "SELECT count(*) FROM OrleansQuery";
        await query.ExecuteScalarAsync(ct);
    }
}
