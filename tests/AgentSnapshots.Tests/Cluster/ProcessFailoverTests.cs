using System.Diagnostics;
using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Failover as an operator sees it: two real silo processes on their own ports (one key for both, as a cluster's
/// operator gives it), one PostgreSQL database and one shared data directory, the real CLI as client through both
/// silos' HTTP addresses (<c>--server A,B</c>); one silo is SIGKILLed and every CLI call afterwards succeeds (retries
/// allowed while the cluster notices the death) with complete history. After the kill the dead silo is named first:
/// its refused connection sends each call to the survivor.
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
    public async Task A_SIGKILLed_silo_loses_no_session_and_the_cli_keeps_working()
    {
        using var temp = new TempDirectory("as-failover");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var dataDir = temp.Combine("data");
        var output = TestContext.Current.TestOutputHelper;

        // The CLI reaches the cluster over HTTP; the silos talk to each other without TLS here (TlsClusterTests cover it).
        var clusterMode = new Dictionary<string, string>(FastDetection)
        {
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["Auth__LocalKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Orleans__Tls__Disabled"] = "true",
        };
        await using var first = await SiloProcess.StartAsync(dataDir, root, root, clusterMode);
        await using var second = await SiloProcess.StartAsync(dataDir, root, root, clusterMode);
        _servers = [first, second];
        try
        {
            const int sessions = 4;
            var hashes = new List<string>[sessions];
            var workspaces = new string[sessions];
            for (var i = 0; i < sessions; i++)
            {
                workspaces[i] = Directory.CreateDirectory(Path.Combine(root, $"ws{i}")).FullName;
                File.WriteAllText(Path.Combine(workspaces[i], "f.txt"), $"one {i}\n");
                hashes[i] = [Hash(await Cli(root, "track", "--session", $"p{i}", "--dir", workspaces[i], "--json"))];
            }

            // Kill a silo that holds workspaces (its log names those it opened): their locks and sessions must move.
            var victim = first.Output.Contains("opened for", StringComparison.Ordinal) ? first : second;
            var survivor = victim == first ? second : first;
            _servers = [victim, survivor];
            Assert.Contains("opened for", victim.Output, StringComparison.Ordinal);
            var killed = Stopwatch.StartNew();
            await victim.KillAsync();

            // Every session answers again (retrying while the cluster notices the death) with its history complete.
            var answered = new TimeSpan[sessions];
            for (var i = 0; i < sessions; i++)
            {
                var history = await CliRetry(root, killed, "history", "--session", $"p{i}", "--json");
                answered[i] = killed.Elapsed;
                Assert.Equal(hashes[i], Snapshots(history));
            }

            output?.WriteLine($"after SIGKILL: first session answered at {answered[0].TotalSeconds:F1}s, all {sessions} at {answered[^1].TotalSeconds:F1}s");

            // Tracking continues on the survivor; no call is lost.
            for (var i = 0; i < sessions; i++)
            {
                File.WriteAllText(Path.Combine(workspaces[i], "f.txt"), $"one {i}\ntwo\n");
                hashes[i].Add(Hash(await CliRetry(root, killed, "track", "--session", $"p{i}", "--json")));
                var history = await Cli(root, "history", "--session", $"p{i}", "--json");
                Assert.Equal(hashes[i], Snapshots(history));
                var diff = JsonDocument.Parse((await Cli(root, "diff", "--session", $"p{i}", "--from", hashes[i][0], "--json")).Stdout).RootElement;
                Assert.Equal(1, diff.GetProperty("additions").GetInt32());
            }

            Assert.False(survivor.HasExited);
            Assert.Contains("opened for", survivor.Output, StringComparison.Ordinal);
        }
        catch
        {
            TestContext.Current.SendDiagnosticMessage("silo 1:\n" + first.Output + "\nsilo 2:\n" + second.Output);
            throw;
        }
    }

    private Task<CliRun> RunCli(string cwd, string[] args) =>
        CliProcess.RunAsync(["--server", string.Join(',', _servers.Select(s => s.CliServer)), .. args], cwd, _servers[0].CliEnvironment);

    /// <summary>Runs the CLI, which must succeed and print nothing on stderr.</summary>
    private async Task<CliRun> Cli(string cwd, params string[] args)
    {
        var run = await RunCli(cwd, args);
        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0, run.ToString());
        return run;
    }

    /// <summary>
    /// Runs the CLI until it exits 0 (exit 1 is a failure worth retrying during failover; 2 never is). A failed try
    /// says so in one line, a successful one says nothing on stderr: no stack traces reach the user.
    /// </summary>
    private async Task<CliRun> CliRetry(string cwd, Stopwatch since, params string[] args)
    {
        while (true)
        {
            var run = await RunCli(cwd, args);
            if (run.ExitCode == 0)
            {
                Assert.True(run.Stderr.Length == 0, run.ToString());
                return run;
            }

            Assert.True(run.ExitCode == 1 && since.Elapsed < TimeSpan.FromSeconds(90), run.ToString());
            Assert.True(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, run.ToString());
            TestContext.Current.TestOutputHelper?.WriteLine($"{since.Elapsed.TotalSeconds:F1}s: retrying {args[0]}: {run.Stderr.Trim()}");
            await Task.Delay(250);
        }
    }

    private static string Hash(CliRun run) => JsonDocument.Parse(run.Stdout).RootElement.GetProperty("hash").GetString()!;

    private static List<string> Snapshots(CliRun run) =>
        [.. JsonDocument.Parse(run.Stdout).RootElement.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("hash").GetString()!)];
}
