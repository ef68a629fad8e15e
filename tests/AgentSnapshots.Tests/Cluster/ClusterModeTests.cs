using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Cluster mode through the silo's own hosting code: two silo hosts in this process, each configured only by
/// <c>AddAgentSnapshotsSilo</c> with <c>ConnectionStrings:Postgres</c> and its own ports, sharing one PostgreSQL
/// database and one data directory, with mutual TLS; the SDK reaches them through the PostgreSQL membership table.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusterModeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new("as-cluster");
    private readonly string _clusterId = "cm-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<IHost> _silos = [];
    private IHost? _client;

    private string DataDir => _temp.Combine("data");

    private string Root => _temp.Combine("work");

    private IAgentSnapshotsClient Snapshots => _client!.Services.GetRequiredService<IAgentSnapshotsClient>();

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        // Both start together: the schema is applied once under the advisory lock, the other sees it recorded.
        _silos.AddRange(await Task.WhenAll(StartSiloAsync(), StartSiloAsync()));

        // The test is an application with an Orleans client of its own (for the management grain) and the SDK beside it.
        var builder = PostgresClusterClient.CreateBuilder(database.ConnectionString, _clusterId, _clusterId, ClusterCertificates.Ours);
        builder.Services.AddAgentSnapshotsClient(o =>
        {
            o.PostgresConnectionString = database.ConnectionString;
            o.ClusterId = _clusterId;
            o.ServiceId = _clusterId;
            o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1);
            ClusterCertificates.Ours.ConfigureClient(o);
        });
        _client = builder.Build();
        await _client.StartAsync();

        // Placement spreads grains only over silos it knows as active: wait until each silo sees both, and the
        // client's gateway list (refreshed every second) has had time to list both.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_silos.All(s => s.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == 2))
        {
            Assert.True(DateTime.UtcNow < deadline, "the two silos did not both become active within 30 s");
            await Task.Delay(200);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
    }

    public async ValueTask DisposeAsync()
    {
        await ClusterTeardown.StopAsync([_client, .. _silos]);

        _temp.Dispose();
    }

    private async Task<IHost> StartSiloAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Snapshots:DataDir"] = DataDir,
            ["Snapshots:WorkspaceRoots:0"] = Root,
            ["Orleans:ClusterId"] = _clusterId,
            ["Orleans:ServiceId"] = _clusterId,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Orleans:SiloPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            // Declare a vanished silo dead within seconds.
            ["Orleans:ProbeTimeout"] = "00:00:01",
            ["Orleans:NumVotesForDeathDeclaration"] = "1",
            ["Orleans:TableRefreshTimeout"] = "00:00:02",
            ["Orleans:IAmAliveTablePublishTimeout"] = "00:00:02",
        });
        builder.Configuration.AddInMemoryCollection(ClusterCertificates.Ours.SiloConfiguration());
        builder.AddAgentSnapshotsSilo();
        // Both silos run in this one process, so resource-optimised placement (Orleans' default) reads the same
        // statistics for each and keeps an activation on the silo whose gateway received the call: with one gateway
        // in the client's list, every grain can land on one silo. Random placement spreads them as separate
        // processes' differing load would.
        builder.Services.AddSingleton<PlacementStrategy, RandomPlacement>();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static bool IsOurs(string grainType) =>
        grainType.Contains(nameof(SessionGrain), StringComparison.Ordinal) || grainType.Contains(nameof(WorkspaceGrain), StringComparison.Ordinal);

    private static SiloAddress AddressOf(IHost silo) => silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    [Fact]
    public async Task Sessions_spread_over_two_silos_survive_losing_one_with_history_intact_and_keep_tracking()
    {
        var ct = TestContext.Current.CancellationToken;
        const int sessions = 10;
        var workspaces = new string[sessions];
        var hashes = new List<string>[sessions];
        for (var i = 0; i < sessions; i++)
        {
            workspaces[i] = Directory.CreateDirectory(Path.Combine(Root, $"ws{i}")).FullName;
            File.WriteAllText(Path.Combine(workspaces[i], "a.txt"), $"session {i}\n");
            hashes[i] = [(await Snapshots.TrackAsync($"s{i}", workspaces[i], "one", ct)).Hash];
            File.WriteAllText(Path.Combine(workspaces[i], "a.txt"), $"session {i}\nturn 2\n");
            hashes[i].Add((await Snapshots.TrackAsync($"s{i}", label: "two", cancellationToken: ct)).Hash);
        }

        // The sessions and their workspace grains live on both silos.
        var management = _client!.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var stats = (await management.GetDetailedGrainStatistics()).Where(s => IsOurs(s.GrainType)).ToList();
        var bySilo = stats.GroupBy(s => s.SiloAddress).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(bySilo.Count == 2, $"activations on {bySilo.Count} silo(s): {string.Join(", ", bySilo)}");

        // The silo with the most activations stops without a goodbye: no graceful deactivation, no membership update.
        var victimAddress = bySilo.MaxBy(kv => kv.Value).Key;
        var victim = _silos.Single(s => AddressOf(s).Equals(victimAddress));
        var survivor = _silos.Single(s => s != victim);
        var stopwatch = Stopwatch.StartNew();
        await victim.StopAsync(new CancellationToken(canceled: true));
        victim.Dispose(); // as a dying process does: its workspace locks go with it
        _silos.Remove(victim);

        // Every session answers again from the survivor with its whole history, and tracks on.
        for (var i = 0; i < sessions; i++)
        {
            var session = $"s{i}";
            var history = await RetryAsync(() => Snapshots.HistoryAsync(session, ct), ct);
            Assert.Equal(hashes[i], history.Snapshots.Select(s => s.Hash));
            Assert.Equal(workspaces[i], history.Workspace);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"every session answered again {stopwatch.Elapsed.TotalSeconds:F1}s after the stop");

        for (var i = 0; i < sessions; i++)
        {
            File.WriteAllText(Path.Combine(workspaces[i], "a.txt"), $"session {i}\nturn 2\nturn 3\n");
            var session = $"s{i}";
            var third = await RetryAsync(() => Snapshots.TrackAsync(session, label: "three", cancellationToken: ct), ct);
            var diff = await Snapshots.DiffAsync(session, hashes[i][1], third.Hash, ct);
            Assert.Equal((1, 1, 0), (diff.FileCount, diff.Additions, diff.Deletions));
            var history = await Snapshots.HistoryAsync(session, ct);
            Assert.Equal([.. hashes[i], third.Hash], history.Snapshots.Select(s => s.Hash));
        }

        var after = (await management.GetDetailedGrainStatistics()).Where(s => IsOurs(s.GrainType)).ToList();
        Assert.NotEmpty(after);
        Assert.All(after, s => Assert.Equal(AddressOf(survivor), s.SiloAddress));
    }

    /// <summary>
    /// Retries what the silo's loss makes fail for a while. An attempt sent towards the dying silo can also go
    /// unanswered until the client's response timeout (minutes): each attempt is given 30 s, as a caller with a
    /// deadline would, and retried (history and track are safe to repeat).
    /// </summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await call().WaitAsync(TimeSpan.FromSeconds(30), ct);
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException or IOException or SiloUnavailableException && deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(250, ct);
            }
        }
    }
}
