using Npgsql;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// The PostgreSQL server of the cluster-mode tests (<see cref="ThrowawayPostgres"/>: the one
/// <c>AGENTSNAPSHOTS_TEST_POSTGRES</c> names, or a throwaway one). Missing binaries fail the tests with a clear
/// message: the cluster tests are never skipped.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly ThrowawayPostgres _server = new();

    /// <summary>A connection string to the server's maintenance database (<c>postgres</c>), as a superuser.</summary>
    public string AdminConnectionString => _server.AdminConnectionString;

    public async ValueTask InitializeAsync() => await _server.StartAsync();

    /// <summary>Creates a fresh, empty database and returns a connection string to it.</summary>
    public Task<string> CreateDatabaseAsync(string prefix) => _server.CreateDatabaseAsync(prefix);

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its connections.</summary>
    public Task DropDatabaseAsync(string connectionString) => _server.DropDatabaseAsync(connectionString);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>One PostgreSQL server for every test in the "Postgres" collection.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollectionDefinition : ICollectionFixture<PostgresServer>
{
    public const string Name = "Postgres";
}

/// <summary>A fresh database per test class (a class fixture), dropped afterwards.</summary>
public sealed class PostgresDatabase(PostgresServer server) : IAsyncLifetime
{
    public PostgresServer Server { get; } = server;

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync() => ConnectionString = await Server.CreateDatabaseAsync("db");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Server.DropDatabaseAsync(ConnectionString);
        }
        catch (NpgsqlException)
        {
            // Best effort: a throwaway server is deleted anyway.
        }
    }
}
