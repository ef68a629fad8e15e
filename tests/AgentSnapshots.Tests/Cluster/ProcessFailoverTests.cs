using System.Diagnostics;
using System.Text.Json;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Failover as an operator sees it: two real silo processes on their own ports (one key for both, as a cluster's
/// operator gives it), one PostgreSQL database and one shared data directory, the real CLI as client through both
/// silos' HTTP addresses (<c>--server A,B</c>) and the SDK through both gateways; one silo is SIGKILLed while every
/// session keeps tracking, and not one call fails (the clients' own retries cover the death) nor is an acknowledged
/// track missing from its history.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ProcessFailoverTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    // Fast failure detection, as the README suggests for a small cluster (the remote workspaces' failover test uses it too).
    internal static readonly Dictionary<string, string> FastDetection = new()
    {
        ["Orleans__ProbeTimeout"] = "00:00:01",
        ["Orleans__NumVotesForDeathDeclaration"] = "1",
        ["Orleans__TableRefreshTimeout"] = "00:00:02",
        ["Orleans__IAmAliveTablePublishTimeout"] = "00:00:02",
    };

    /// <summary>The silos the CLI is given, in order (<c>--server A,B</c>).</summary>
    private SiloProcess[] _servers = [];

    [Fact]
    public async Task A_SIGKILLed_silo_under_load_fails_no_call_and_loses_no_acknowledged_track()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("as-failover");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var dataDir = temp.Combine("data");
        var output = TestContext.Current.TestOutputHelper;

        // The CLI reaches the cluster over HTTP, the SDK through both gateways; the silos talk to each other without
        // TLS here (TlsClusterTests cover it).
        var clusterMode = new Dictionary<string, string>(FastDetection)
        {
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["Auth__LocalKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Orleans__Tls__Disabled"] = "true",
        };
        await using var first = await SiloProcess.StartAsync(dataDir, root, root, clusterMode);
        await using var second = await SiloProcess.StartAsync(dataDir, root, root, clusterMode);
        _servers = [first, second];
        using var sdkHost = SdkHost(first.GatewayPort, second.GatewayPort);
        await sdkHost.StartAsync(ct);
        var sdk = sdkHost.Services.GetRequiredService<IAgentSnapshotsClient>();
        try
        {
            // Sessions 0-2 tracked by the CLI, 3-5 by the SDK, each bound by a first track.
            const int sessions = 6, throughCli = 3;
            var acknowledged = new List<string>[sessions];
            var workspaces = new string[sessions];
            for (var i = 0; i < sessions; i++)
            {
                workspaces[i] = Directory.CreateDirectory(Path.Combine(root, $"ws{i}")).FullName;
                File.WriteAllText(Path.Combine(workspaces[i], "f.txt"), $"step 0 of {i}\n");
                acknowledged[i] = [i < throughCli
                    ? Hash(await Cli(root, "track", "--session", $"p{i}", "--dir", workspaces[i], "--json"))
                    : (await sdk.TrackAsync($"p{i}", workspaces[i], cancellationToken: ct)).Hash];
            }

            // Kill a silo that holds workspaces (its log names those it opened), while every session keeps tracking:
            // no call may fail (the clients retry while the cluster notices the death) and no acknowledged track may
            // be missing from its history. After the kill the CLI names the dead silo first: its refused connection
            // sends each call to the survivor.
            var victim = first.Output.Contains("opened for", StringComparison.Ordinal) ? first : second;
            var survivor = victim == first ? second : first;
            Assert.Contains("opened for", victim.Output, StringComparison.Ordinal);
            var killed = new TaskCompletionSource<Stopwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource();
            var afterKill = new int[sessions];
            var longest = new TimeSpan[sessions];
            var load = Enumerable.Range(0, sessions).Select(i => Task.Run(async () =>
            {
                for (var step = 1; !stop.IsCancellationRequested; step++)
                {
                    File.WriteAllText(Path.Combine(workspaces[i], "f.txt"), $"step {step} of {i}\n");
                    var call = Stopwatch.StartNew();
                    var hash = i < throughCli
                        ? Hash(await Cli(root, "track", "--session", $"p{i}", "--json"))
                        : (await sdk.TrackAsync($"p{i}", cancellationToken: ct)).Hash;
                    acknowledged[i].Add(hash);
                    if (call.Elapsed > longest[i]) longest[i] = call.Elapsed;
                    if (killed.Task.IsCompleted) afterKill[i]++;
                }
            }, ct)).ToList();

            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            _servers = [victim, survivor];
            await victim.KillAsync();
            var sinceKill = Stopwatch.StartNew();
            killed.SetResult(sinceKill);
            // Long enough for the cluster to declare the silo dead and every session to move (a few seconds with fast detection).
            await Task.Delay(TimeSpan.FromSeconds(15), ct);
            await stop.CancelAsync();
            var finished = await Task.WhenAny(Task.WhenAll(load), Task.Delay(TimeSpan.FromSeconds(60), ct));
            Assert.True(load.TrueForAll(t => t.IsCompleted), "calls still waiting 60 s after the load stopped: sessions " +
                string.Join(", ", Enumerable.Range(0, sessions).Where(i => !load[i].IsCompleted).Select(i => $"p{i} ({(i < throughCli ? "CLI" : "SDK")})")));
            await finished;
            await Task.WhenAll(load);
            output?.WriteLine($"tracks acknowledged after SIGKILL, per session: {string.Join(", ", afterKill)}; longest call per session: {string.Join(", ", longest.Select(t => $"{t.TotalSeconds:F1}s"))}");
            Assert.All(afterKill, n => Assert.True(n > 0, "every session kept tracking after the kill"));

            // Every acknowledged track is in its session's history, in order; nothing else is (a track whose reply was
            // lost with the silo may be recorded twice: the same tree, once per attempt).
            for (var i = 0; i < sessions; i++)
            {
                var history = Snapshots(await Cli(root, "history", "--session", $"p{i}", "--json"));
                Assert.True(IsSubsequence(acknowledged[i], history), $"session p{i}: acknowledged {string.Join(' ', acknowledged[i])}, history {string.Join(' ', history)}");
                Assert.All(history, h => Assert.Contains(h, acknowledged[i]));
            }

            Assert.False(survivor.HasExited);
            Assert.Contains("opened for", survivor.Output, StringComparison.Ordinal);
            await sdkHost.StopAsync(ct);
        }
        catch
        {
            TestContext.Current.SendDiagnosticMessage("silo 1:\n" + first.Output + "\nsilo 2:\n" + second.Output);
            throw;
        }
    }

    private Task<CliRun> RunCli(string cwd, string[] args) =>
        CliProcess.RunAsync(["--server", string.Join(',', _servers.Select(s => s.CliServer)), .. args], cwd, _servers[0].CliEnvironment);

    /// <summary>Runs the CLI, which must succeed and print nothing on stderr (its retries are silent).</summary>
    private async Task<CliRun> Cli(string cwd, params string[] args)
    {
        var run = await RunCli(cwd, args);
        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0, run.ToString());
        return run;
    }

    /// <summary>The SDK as an application registers it, given both silos' gateways.</summary>
    private static IHost SdkHost(params int[] gatewayPorts)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAgentSnapshotsClient(o =>
        {
            foreach (var port in gatewayPorts) o.Gateways.Add($"127.0.0.1:{port}");
        });
        return builder.Build();
    }

    private static bool IsSubsequence(List<string> wanted, List<string> all)
    {
        var next = 0;
        foreach (var hash in all)
        {
            if (next < wanted.Count && wanted[next] == hash) next++;
        }
        return next == wanted.Count;
    }

    private static string Hash(CliRun run) => JsonDocument.Parse(run.Stdout).RootElement.GetProperty("hash").GetString()!;

    private static List<string> Snapshots(CliRun run) =>
        [.. JsonDocument.Parse(run.Stdout).RootElement.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("hash").GetString()!)];
}
