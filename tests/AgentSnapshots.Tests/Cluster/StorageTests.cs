using System.Text;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Storage;
using Orleans.TestingHost;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>One silo whose grain storage is the Orleans ADO.NET provider on our PostgreSQL schema.</summary>
public sealed class StorageClusterFixture(PostgresServer server) : IAsyncLifetime
{
    public const string DeletingStorageName = "snapshots-delete";

    public string ConnectionString { get; private set; } = "";

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("storage");
        await PostgresSchema.ApplyAsync(ConnectionString, NullLogger.Instance, CancellationToken.None);

        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.AddAdoNetGrainStorage(PgCounterGrain.StorageName, o =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = ConnectionString;
            });
            silo.AddAdoNetGrainStorage(DeletingStorageName, o =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = ConnectionString;
                o.DeleteStateOnClear = true;
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public IGrainStorage Storage(string name) =>
        Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(name);

    public async ValueTask DisposeAsync()
    {
        await ClusterTeardown.StopAsync(Cluster);

        await server.DropDatabaseAsync(ConnectionString);
    }
}

[Collection(PostgresCollectionDefinition.Name)]
public sealed class StorageTests(StorageClusterFixture fixture) : IClassFixture<StorageClusterFixture>
{
    private const string TypeName = "pgcounter";

    [Fact]
    public async Task Grain_state_round_trips_through_postgres_across_activations()
    {
        var grain = fixture.Cluster.Client.GetGrain<IPgCounterGrain>("round-trip");

        var first = await grain.Add(5);
        var second = await grain.Add(7);
        await grain.Deactivate();
        await fixture.Cluster.WaitForDeactivationAsync(grain);
        var reread = await grain.Get();

        Assert.Equal("1", first.ETag);
        Assert.Equal("2", second.ETag);
        Assert.Equal(new CounterView(12, 2, "2", true, reread.Silo), reread);

        // The row holds the JSON payload and the version the grain saw.
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT payloadbinary, version FROM agentsnapshots_grainstate WHERE grainidextensionstring = 'round-trip'", connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Contains("\"Value\":12", Encoding.UTF8.GetString((byte[])reader[0]), StringComparison.Ordinal);
        Assert.Equal(2, reader.GetInt32(1));
        Assert.False(await reader.ReadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_stale_etag_is_a_version_conflict()
    {
        var storage = fixture.Storage(PgCounterGrain.StorageName);
        var id = GrainId.Create(TypeName, "conflict");

        var a = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync(TypeName, id, a);
        Assert.Null(a.ETag);
        Assert.False(a.RecordExists);
        var b = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync(TypeName, id, b);

        a.State!.Value = 1;
        await storage.WriteStateAsync(TypeName, id, a);
        Assert.Equal("1", a.ETag);

        // b also believes there is no row yet: its insert must lose.
        b.State!.Value = 2;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(TypeName, id, b));

        // b re-reads, writes (version 2); a's ETag "1" is now stale for write and clear.
        await storage.ReadStateAsync(TypeName, id, b);
        Assert.Equal(1, b.State!.Value);
        b.State!.Value = 3;
        await storage.WriteStateAsync(TypeName, id, b);
        Assert.Equal("2", b.ETag);
        a.State!.Value = 4;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(TypeName, id, a));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(TypeName, id, a));

        var check = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync(TypeName, id, check);
        Assert.Equal(3, check.State!.Value);
        Assert.Equal("2", check.ETag);
    }

    [Fact]
    public async Task A_grain_whose_state_was_changed_elsewhere_fails_its_next_write()
    {
        var grain = fixture.Cluster.Client.GetGrain<IPgCounterGrain>("two-writers");
        await grain.Add(1);

        // Another writer (say a second activation during failover) moves the row on. The provider keys
        // rows by the state name ("counter") and the grain key.
        var storage = fixture.Storage(PgCounterGrain.StorageName);
        var id = grain.GetGrainId();
        var other = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync("counter", id, other);
        Assert.Equal("1", other.ETag);
        other.State!.Value = 100;
        await storage.WriteStateAsync("counter", id, other);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Add(1));
    }

    [Fact]
    public async Task Clear_keeps_a_versioned_empty_row_and_a_later_write_continues_from_it()
    {
        var grain = fixture.Cluster.Client.GetGrain<IPgCounterGrain>("clear");
        await grain.Add(3);

        var cleared = await grain.Clear();
        Assert.Equal(new CounterView(0, 0, "2", false, cleared.Silo), cleared);

        await grain.Deactivate();
        await fixture.Cluster.WaitForDeactivationAsync(grain);
        var reread = await grain.Get();
        Assert.Equal(new CounterView(0, 0, "2", false, reread.Silo), reread);

        var written = await grain.Add(1);
        Assert.Equal(new CounterView(1, 1, "3", true, written.Silo), written);
    }

    [Fact]
    public async Task Delete_on_clear_removes_the_row_and_a_new_first_write_starts_again()
    {
        var storage = fixture.Storage(StorageClusterFixture.DeletingStorageName);
        var id = GrainId.Create(TypeName, "delete");

        var state = new GrainState<CounterState>(new CounterState { Value = 9 });
        await storage.WriteStateAsync(TypeName, id, state);
        var stale = new GrainState<CounterState>(new CounterState()) { ETag = "7", RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(TypeName, id, stale));

        await storage.ClearStateAsync(TypeName, id, state);
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        var reread = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync(TypeName, id, reread);
        Assert.False(reread.RecordExists);
        Assert.Null(reread.ETag);

        state.State!.Value = 10;
        await storage.WriteStateAsync(TypeName, id, state);
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task Keys_of_every_kind_are_kept_apart()
    {
        var storage = fixture.Storage(PgCounterGrain.StorageName);
        var guid = Guid.NewGuid();
        GrainId[] ids =
        [
            GrainId.Create(GrainType.Create(TypeName), GrainIdKeyExtensions.CreateIntegerKey(42)),
            GrainId.Create(GrainType.Create(TypeName), GrainIdKeyExtensions.CreateIntegerKey(42, "ext")),
            GrainId.Create(GrainType.Create(TypeName), GrainIdKeyExtensions.CreateGuidKey(guid)),
            GrainId.Create(GrainType.Create(TypeName), GrainIdKeyExtensions.CreateGuidKey(guid, "ext")),
            GrainId.Create(TypeName, "42"),
            GrainId.Create("othertype", "42"),
        ];

        for (var i = 0; i < ids.Length; i++)
        {
            var s = new GrainState<CounterState>(new CounterState { Value = 1000 + i });
            await storage.WriteStateAsync(ids[i].Type.ToString()!, ids[i], s);
            Assert.Equal("1", s.ETag);
        }

        for (var i = 0; i < ids.Length; i++)
        {
            var s = new GrainState<CounterState>(new CounterState());
            await storage.ReadStateAsync(ids[i].Type.ToString()!, ids[i], s);
            Assert.Equal(1000 + i, s.State!.Value);
        }
    }
}
