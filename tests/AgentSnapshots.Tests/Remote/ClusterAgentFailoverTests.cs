using System.Diagnostics;
using System.Net;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Remote;

/// <summary>
/// A two-silo cluster (real processes, one PostgreSQL database, one data directory) and an agent given both silos'
/// addresses, its directory outside the silos' workspace roots. The silo holding the agent's connection is SIGKILLed
/// while the agent sends a track's objects: that track fails and records nothing, the agent reconnects to the
/// survivor on its own, and a retried track through the survivor succeeds with git's tree of the directory.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusterAgentFailoverTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Name = "cluster-agent";

    [Fact]
    public async Task The_agent_reconnects_to_the_survivor_and_a_retried_track_succeeds()
    {
        using var temp = new TempDirectory("as-remote-cluster");
        var root = Directory.CreateDirectory(temp.Combine("silo-root")).FullName;
        var dir = Directory.CreateDirectory(temp.Combine("sandbox")).FullName;
        var dataDir = temp.Combine("data");
        var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var settings = new Dictionary<string, string>(Cluster.ProcessFailoverTests.FastDetection)
        {
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["Auth__LocalKey"] = key,
            ["Orleans__Tls__Disabled"] = "true",
        };
        await using var a = await SiloProcess.StartAsync(dataDir, root, root, settings);
        await using var b = await SiloProcess.StartAsync(dataDir, root, root, settings);
        var store = Path.Combine(dataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceNames.IdentityOf(null, Name)));
        File.WriteAllText(Path.Combine(dir, "small.txt"), "bound first\n");
        await using var agent = await AgentProcess.StartAsync($"{a.CliServer},{b.CliServer}", key, Name, dir, temp.Combine("cache"));
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (AgentProcess.Attached(a, Name) + AgentProcess.Attached(b, Name) == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no silo attached the agent");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            var (victim, survivor) = AgentProcess.Attached(a, Name) > 0 ? (a, b) : (b, a);
            using var api = new ApiClient(survivor.HttpAddress, key);
            var first = (await api.PostAsync($"/v1/sessions/{Name}/snapshots", new { workspace = Name })).Ok().GetProperty("hash").GetString()!;

            StoredObjects.WriteRandomFiles(dir, "big", 24, 4 << 20, seed: 23);
            var before = StoredObjects.In(store).Count;
            var track = api.PostAsync($"/v1/sessions/{Name}/snapshots", new { workspace = Name });
            var killed = Stopwatch.StartNew();
            Assert.True(await StoredObjects.KillMidTransferAsync(store, before, track, victim.KillAsync),
                "the track ended before the agent's silo could be killed mid-transfer");
            var failed = await track.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
            Assert.True(failed.Status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, failed.ToString());
            Assert.Contains("\"code\"", failed.Body, StringComparison.Ordinal);

            // The agent finds the survivor by itself; the track is retried (503 while the cluster notices) until it succeeds.
            string? hash = null;
            var tries = 0;
            while (hash is null)
            {
                Assert.True(killed.Elapsed < TimeSpan.FromSeconds(120), $"no track succeeded after the kill:\n{agent.Log}");
                Assert.False(agent.HasExited, $"the agent exited when its silo was killed:\n{agent.Log}");
                var retried = await api.PostAsync($"/v1/sessions/{Name}/snapshots", new { workspace = Name });
                tries++;
                if (retried.Status == HttpStatusCode.OK)
                {
                    hash = retried.Json.GetProperty("hash").GetString();
                    break;
                }
                Assert.True(retried.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway, retried.ToString());
                await Task.Delay(250, TestContext.Current.CancellationToken);
            }
            TestContext.Current.TestOutputHelper?.WriteLine($"a track succeeded {killed.Elapsed.TotalSeconds:F1}s after the kill, at try {tries}");
            Assert.Equal(Git.WriteTreeOf(dir), hash);
            Assert.True(AgentProcess.Attached(survivor, Name) > 0, survivor.Output);
            Assert.False(agent.HasExited);
            var history = (await api.GetAsync($"/v1/sessions/{Name}/snapshots")).Ok().GetProperty("snapshots");
            Assert.Equal([first, hash], history.EnumerateArray().Select(s => s.GetProperty("hash").GetString()));
            // git reads every object of the snapshot in the shared store (the killed silo's half-written file is a
            // temporary one, which names nothing).
            Git.Run(root, "--git-dir", store, "ls-tree", "-r", hash!);
        }
        catch
        {
            TestContext.Current.SendDiagnosticMessage("silo a:\n" + a.Output + "\nsilo b:\n" + b.Output + "\nagent:\n" + agent.Log);
            throw;
        }
    }
}
