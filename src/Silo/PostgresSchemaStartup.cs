using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo;

/// <summary>
/// Cluster mode: applies the pending PostgreSQL schema scripts (<see cref="PostgresSchema"/>) as the very first
/// step of the silo's start, before membership and grain storage touch the database. Off with
/// <c>Snapshots:ApplySchema=false</c> for operators who migrate by hand from <c>Sql/PostgreSQL/*.sql</c>.
/// </summary>
internal sealed class PostgresSchemaStartup(string connectionString, ILogger<PostgresSchemaStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgresSchemaStartup), ServiceLifecycleStage.First, ct => PostgresSchema.ApplyAsync(connectionString, logger, ct));
}
