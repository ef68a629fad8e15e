using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using AgentSnapshots.Engine;
using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Service;
using AgentSnapshots.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// The operations surface of a silo built by the same code as Program.cs: health endpoints over real HTTP
/// against a real PostgreSQL (made unreachable for real by refusing new connections to its database).
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class HealthTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Ready_means_active_in_membership_with_reachable_storage()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("as-health");
        var port = SiloProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Snapshots:DataDir"] = temp.Combine("data"),
            ["Snapshots:WorkspaceRoots:0"] = temp.Path,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Orleans:SiloPort"] = SiloProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = SiloProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Http:Port"] = port.ToString(CultureInfo.InvariantCulture),
        });
        builder.AddAgentSnapshotsSilo();
        builder.AddAgentSnapshotsOperations();
        await using var app = builder.Build();
        app.MapAgentSnapshotsOperations();
        await app.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
        try
        {
            var live = await http.GetAsync("/health/live", ct);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            var ready = await http.GetAsync("/health/ready", ct);
            var body = await ready.Content.ReadAsStringAsync(ct);
            Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
            var json = JsonDocument.Parse(body).RootElement;
            Assert.Equal(("ready", "Active", "ok"), (json.GetProperty("status").GetString(), json.GetProperty("membership").GetString(), json.GetProperty("storage").GetString()));

            // The database refuses new connections: storage is unreachable, the silo is not ready (and still live).
            await AdminAsync($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false", ct);
            var down = await http.GetAsync("/health/ready", ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Contains("unreachable", await down.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live", ct)).StatusCode);

            await AdminAsync($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true", ct);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready", ct)).StatusCode);
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true", CancellationToken.None);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await app.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task AdminAsync(string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(database.Server.AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Our meter's instruments record on a real track and diff (one-node service cluster).</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Track_and_diff_record_snapshot_diff_and_cache_instruments()
    {
        var recorded = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SnapshotMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Add(Instrument instrument, double value)
        {
            lock (recorded)
            {
                recorded[instrument.Name] = recorded.GetValueOrDefault(instrument.Name) + value;
            }
        }
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => Add(i, v));
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => Add(i, v));
        listener.Start();

        await using var fixture = new ServiceClusterFixtureScope();
        var ws = fixture.Inner.NewWorkspace("metrics");
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\n");
        var session = fixture.Inner.Grains.GetGrain<ISessionGrain>("metrics");
        var first = await session.Track(ws, "one");
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\ntwo\n");
        var second = await session.Track(null, "two");
        await session.Diff(first.Hash, second.Hash);
        await session.Diff(first.Hash, second.Hash);

        lock (recorded)
        {
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.snapshot.bytes") >= 4 + 8, string.Join(", ", recorded));
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.snapshot.duration") > 0, string.Join(", ", recorded));
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.diff.duration") > 0, string.Join(", ", recorded));
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.diff.bytes_streamed") >= 4 + 8, string.Join(", ", recorded));
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.summary_cache.misses") >= 1, string.Join(", ", recorded));
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.summary_cache.hits") >= 1, string.Join(", ", recorded));
        }
    }

    private sealed class ServiceClusterFixtureScope : IAsyncDisposable
    {
        public ServiceClusterFixture Inner { get; } = new();

        public ServiceClusterFixtureScope() => Inner.InitializeAsync().AsTask().GetAwaiter().GetResult();

        public ValueTask DisposeAsync() => Inner.DisposeAsync();
    }
}
