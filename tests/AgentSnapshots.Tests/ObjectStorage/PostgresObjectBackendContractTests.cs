using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage.PostgreSql;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentSnapshots.Tests.ObjectStorage;

/// <summary>The object backends' contract on the <c>postgres</c> backend: a real database, each test under a service id of its own.</summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class PostgresObjectBackendContractTests(PostgresDatabase database) : ObjectBackendContractTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<IObjectBackend> CreateBackendAsync()
    {
        await PostgresSchema.ApplyAsync(database.ConnectionString, NullLogger.Instance, TestContext.Current.CancellationToken);
        return new PostgresObjectBackend(database.ConnectionString, $"contract-{Guid.NewGuid():N}");
    }

    protected override IObjectBackend CreateUnreachableBackend() =>
        new PostgresObjectBackend(
            new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = LoopbackPort.Free(), Timeout = 3 }.ConnectionString,
            $"contract-{Guid.NewGuid():N}");
}
