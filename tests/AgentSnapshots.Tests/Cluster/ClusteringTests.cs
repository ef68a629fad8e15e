using System.Diagnostics;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Configuration;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Two real silo hosts in this process (TCP on free loopback ports) whose membership is the Orleans ADO.NET
/// clustering provider on our PostgreSQL schema, and a client host that finds its gateways through the ADO.NET
/// gateway list provider. (InProcessTestCluster would swap in its own in-memory membership table; its switch
/// for that is internal in Orleans 10.4, so these are plain hosts, configured the way a silo is.)
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusteringTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const int Active = 3;
    private const int Dead = 6;
    private readonly string _clusterId = "pg-cluster-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _serviceId = "pg-service-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<IHost> _silos = [];
    private IHost? _client;

    private string Db => database.ConnectionString;

    private IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    public async ValueTask InitializeAsync()
    {
        await PostgresSchema.ApplyAsync(Db, NullLogger.Instance, CancellationToken.None);
        for (var i = 0; i < 2; i++)
        {
            _silos.Add(await StartSiloAsync());
        }

        _client = PostgresClusterClient.CreateBuilder(Db, _clusterId, _serviceId).Build();
        await _client.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await ClusterTeardown.StopAsync([_client, .. _silos]);
    }

    private async Task<IHost> StartSiloAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = _clusterId;
                o.ServiceId = _serviceId;
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, LoopbackPort.Free(), LoopbackPort.Free());
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = Db;
            });
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.AddAdoNetGrainStorage(PgCounterGrain.StorageName, o =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = Db;
            });
            // Declare a vanished silo dead within seconds, not the production minute.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static SiloAddress AddressOf(IHost silo) => silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    private static int GatewayPortOf(IHost silo) => silo.Services.GetRequiredService<ILocalSiloDetails>().GatewayAddress!.Endpoint.Port;

    [Fact]
    public async Task Two_silos_form_a_cluster_in_the_membership_table_and_survive_losing_one()
    {
        var ct = TestContext.Current.CancellationToken;
        var clusterId = _clusterId;

        // Both silos joined through PostgreSQL and are Active there.
        var rows = await MembershipAsync(clusterId, ct);
        Assert.Equal(
            _silos.Select(AddressOf).Select(a => (a.Endpoint.Port, a.Generation)).Order(),
            rows.Select(r => (r.Port, r.Generation)).Order());
        Assert.All(rows, r => Assert.Equal(Active, r.Status));
        Assert.All(rows, r => Assert.True(r.ProxyPort > 0));
        Assert.True(await TableVersionAsync(clusterId, ct) >= 2);

        // The client found its gateways through the table; spread some state over both silos.
        var grains = Enumerable.Range(0, 12).Select(i => Client.GetGrain<IPgCounterGrain>($"failover-{i}")).ToList();
        var before = new List<CounterView>();
        foreach (var grain in grains)
        {
            before.Add(await grain.Add(10));
        }

        // Stop the silo hosting the first grain without a goodbye (no graceful membership update).
        var victim = _silos.Single(s => AddressOf(s).ToString() == before[0].Silo);
        var survivor = _silos.Single(s => s != victim);
        var victimAddress = AddressOf(victim);
        var survivorAddress = AddressOf(survivor);
        var stopwatch = Stopwatch.StartNew();
        await victim.StopAsync(new CancellationToken(canceled: true));
        victim.Dispose();
        _silos.Remove(victim);

        // Every grain answers again, from the survivor, with its state intact, and keeps writing.
        foreach (var grain in grains)
        {
            var view = await RetryAsync(() => grain.Add(1), TimeSpan.FromSeconds(60), ct);
            Assert.Equal(11, view.Value);
            Assert.Equal(2, view.Writes);
            Assert.Equal(survivorAddress.ToString(), view.Silo);
        }

        var recovered = stopwatch.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"all grains answered again {recovered.TotalSeconds:F1}s after the kill");

        // The survivor declared the victim dead in the table (an UpdateMembershipKey with the table version).
        await WaitUntilAsync(async () =>
        {
            var now = await MembershipAsync(clusterId, ct);
            return now.Any(r => r.Port == victimAddress.Endpoint.Port && r.Status == Dead)
                && now.Any(r => r.Port == survivorAddress.Endpoint.Port && r.Status == Active);
        }, TimeSpan.FromSeconds(60), ct);

        // A client that starts now is only offered the live gateway.
        var gateways = await GatewayPortsAsync(clusterId, ct);
        Assert.Equal([GatewayPortOf(survivor)], gateways);
    }

    [Fact]
    public async Task A_silo_that_vanished_without_a_word_is_voted_dead_through_the_table()
    {
        var ct = TestContext.Current.CancellationToken;
        var versionBefore = await TableVersionAsync(_clusterId, ct);

        // A row for a silo that is gone (nothing listens on its port), as a SIGKILLed silo leaves behind.
        var ghostPort = LoopbackPort.Free();
        // A generation like a silo's own (seconds since 2022); a far older one counts as retired and is not probed.
        var ghostGeneration = (int)(DateTime.UtcNow - new DateTime(2022, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds - 30;
        await using (var connection = new NpgsqlConnection(Db))
        {
            await connection.OpenAsync(ct);
            // Joined the way a silo joins (version-checked insert), then never heard from again.
            await using var insert = new NpgsqlCommand(
                """
                SELECT agentsnapshots_membership_insert(@c, '127.0.0.1', @p, @g, 'ghost', 'ghost-host', 3, 0,
                       now(), now(), (SELECT version FROM agentsnapshots_membership_version WHERE deploymentid = @c))
                """, connection);
            insert.Parameters.AddWithValue("c", _clusterId);
            insert.Parameters.AddWithValue("p", ghostPort);
            insert.Parameters.AddWithValue("g", ghostGeneration);
            Assert.True((bool)(await insert.ExecuteScalarAsync(ct))!);
        }

        // The live silos notice it on a table refresh, fail to probe it, and declare it dead with a
        // versioned UpdateMembershipKey; they themselves stay Active.
        await WaitUntilAsync(async () =>
        {
            var rows = await MembershipAsync(_clusterId, ct);
            return rows.Any(r => r.Port == ghostPort && r.Status == Dead)
                && rows.Count(r => r.Status == Active) == 2;
        }, TimeSpan.FromSeconds(60), ct);
        Assert.True(await TableVersionAsync(_clusterId, ct) >= versionBefore + 2); // the join and the death

        // The cluster still serves.
        Assert.Equal(1, (await Client.GetGrain<IPgCounterGrain>("after-ghost").Add(1)).Value);
    }

    private async Task<List<(int Port, int Generation, int Status, int ProxyPort)>> MembershipAsync(string clusterId, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(Db);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT port, generation, status, proxyport FROM agentsnapshots_membership WHERE deploymentid = @c", connection);
        command.Parameters.AddWithValue("c", clusterId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(int, int, int, int)>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3)));
        }

        return rows;
    }

    private async Task<int> TableVersionAsync(string clusterId, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(Db);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT version FROM agentsnapshots_membership_version WHERE deploymentid = @c", connection);
        command.Parameters.AddWithValue("c", clusterId);
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<List<int>> GatewayPortsAsync(string clusterId, CancellationToken ct)
    {
        // The provider's own query text, with the parameters it binds.
        await using var connection = new NpgsqlConnection(Db);
        await connection.OpenAsync(ct);
        string sql;
        await using (var lookup = new NpgsqlCommand("SELECT querytext FROM orleansquery WHERE querykey = 'GatewaysQueryKey'", connection))
        {
            sql = (string)(await lookup.ExecuteScalarAsync(ct))!;
        }

        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("DeploymentId", clusterId);
        command.Parameters.AddWithValue("Status", Active);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ports = new List<int>();
        while (await reader.ReadAsync(ct))
        {
            ports.Add(reader.GetInt32(reader.GetOrdinal("ProxyPort")));
        }

        return ports;
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException or SiloUnavailableException && deadline.Elapsed < timeout)
            {
                await Task.Delay(250, ct);
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < timeout, $"condition not met within {timeout}");
            await Task.Delay(250, ct);
        }
    }
}
