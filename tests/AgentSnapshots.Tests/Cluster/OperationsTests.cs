using System.Globalization;
using System.Net;
using System.Text.Json;
using AgentSnapshots.Silo;
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
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Snapshots:DataDir"] = temp.Combine("data"),
            ["Snapshots:WorkspaceRoots:0"] = temp.Path,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Orleans:SiloPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            ["Http:Port"] = port.ToString(CultureInfo.InvariantCulture),
            // A key of its own, so no key file is written to the user's profile.
            ["Auth:LocalKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        });
        builder.Configuration.AddInMemoryCollection(ClusterCertificates.Ours.SiloConfiguration());
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
