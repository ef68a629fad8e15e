using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using AgentSnapshots.Tests.Processes;

namespace AgentSnapshots.Bench;

/// <summary>
/// The cli scenario (not a test): what one CLI call costs an agent that shells out to it. One real silo, a session of
/// <c>--steps</c> snapshots taken through the HTTP API, then <c>--calls</c> rounds of the same request as separate
/// processes, interleaved so load on the machine falls on all alike: the CLI (<c>history --json</c>) as built
/// (<c>dotnet agentsnapshots.dll</c>) and, if published, as a native executable (<c>dotnet publish src/Cli -c Release
/// -r RID</c>), curl of the same request (a process that only does HTTP), and optionally a CLI of another build
/// (<c>--before DLL</c>, e.g. the Orleans-client CLI of an older commit, called through the silo's gateway). Prints
/// median and p90 of each against the target (CLI median ≤ 150 ms; the native CLI's when it is published).
/// <code>dotnet publish src/Cli -c Release -r linux-x64   # optional: the native CLI is then timed too
/// dotnet run -c Release --project bench -- cli [--calls 20] [--steps 10] [--before /tmp/old/src/Cli/bin/Release/net10.0/agentsnapshots.dll]</code>
/// </summary>
internal static class CliCallRun
{
    private const double TargetMedianMs = 150;
    private const string Session = "bench-cli";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var rest = args.ToList();
        string? before = null;
        var at = rest.IndexOf("--before");
        if (at >= 0)
        {
            before = at + 1 < rest.Count ? Path.GetFullPath(rest[at + 1]) : null;
            rest.RemoveRange(at, Math.Min(2, rest.Count - at));
        }
        Dictionary<string, int> options;
        try
        {
            options = WholeNumberOptions.Parse(rest, new Dictionary<string, int> { ["--calls"] = 20, ["--steps"] = 10 });
            if (at >= 0 && (before is null || !File.Exists(before)))
            {
                throw new FormatException($"--before needs the path of a built agentsnapshots.dll{(before is null ? "" : $" ({before} does not exist)")}");
            }
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync("cli: " + e.Message + " (usage: cli [--calls N] [--steps S] [--before DLL])");
            return 2;
        }
        string cli;
        try
        {
            cli = CliProcess.Dll;
        }
        catch (FileNotFoundException e)
        {
            await Console.Error.WriteLineAsync($"cli: {e.Message} (dotnet build -c {BuildOutput.Configuration} src/Cli)");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("agentsnapshots-cli-").FullName;
        try
        {
            var (silo, workRoot) = await BenchSilo.StartWithHttpAsync(root);
            await using var _ = silo;
            using var http = new HttpClient { BaseAddress = silo.HttpAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", silo.LocalKey);
            await HttpRun.WaitReadyAsync(http);

            var workspace = SmallWorkspace.Create(workRoot, "ws", 0);
            for (var step = 0; step < options["--steps"]; step++)
            {
                await File.AppendAllTextAsync(Path.Combine(workspace, $"f{step % SmallWorkspace.Files}.txt"), $"step {step}\n");
                using var tracked = await http.PostAsJsonAsync($"/v1/sessions/{Session}/snapshots", new { dir = workspace, label = $"step {step}" });
                tracked.EnsureSuccessStatusCode();
            }

            // curl reads the key from a header file, as a script keeps it out of its command line.
            var header = Path.Combine(root, "authorization");
            await File.WriteAllTextAsync(header, $"Authorization: Bearer {silo.LocalKey}\n");
            var url = $"{silo.CliServer}/v1/sessions/{Session}/snapshots";
            var clients = new List<(string Name, Func<Task<CliRun>> Call)>
            {
                ($"agentsnapshots ({BuildOutput.Configuration}, HTTP)", () => CliProcess.RunAsync(["history", "--server", silo.CliServer, "--session", Session, "--json"], root, silo.CliEnvironment)),
                ("curl, the same request", () => ProcessRunner.RunAsync("curl", ["-sSf", "-H", "@" + header, url], root)),
            };
            var native = NativeCli();
            if (File.Exists(native))
            {
                clients.Insert(1, ($"agentsnapshots native ({RuntimeInformation.RuntimeIdentifier}, published)",
                    () => ProcessRunner.RunAsync(native, ["history", "--server", silo.CliServer, "--session", Session, "--json"], root, silo.CliEnvironment)));
            }
            else
            {
                Console.WriteLine($"   (no native CLI at {native}: dotnet publish src/Cli -c Release -r {RuntimeInformation.RuntimeIdentifier} times it too)");
            }
            if (before is not null)
            {
                clients.Add(("--before DLL, through the gateway", () => ProcessRunner.RunAsync("dotnet", [before, "history", "--gateway", $"127.0.0.1:{silo.GatewayPort}", "--session", Session, "--json"], root)));
            }

            Console.WriteLine($"== cli: one process per call of `history --json` of a {options["--steps"]}-step session, {options["--calls"]} calls per client, interleaved; load average {LoadAverage.Now()}{(before is null ? "" : $"; --before {before}")}");
            var times = clients.Select(_ => new List<double>()).ToArray();
            for (var call = -2; call < options["--calls"]; call++)
            {
                for (var c = 0; c < clients.Count; c++)
                {
                    var watch = Stopwatch.StartNew();
                    var run = await clients[c].Call();
                    watch.Stop();
                    if (run.ExitCode != 0 || !run.Stdout.Contains($"step {options["--steps"] - 1}", StringComparison.Ordinal))
                    {
                        await Console.Error.WriteLineAsync($"cli: {clients[c].Name} failed: {run}");
                        return 1;
                    }
                    // The first two rounds warm the disk cache and the silo; they are not counted.
                    if (call >= 0)
                    {
                        times[c].Add(watch.Elapsed.TotalMilliseconds);
                    }
                }
            }

            Console.WriteLine($"   {"client",-52} {"median ms",10} {"p90 ms",8}");
            for (var c = 0; c < clients.Count; c++)
            {
                var sorted = times[c].Order().ToArray();
                Console.WriteLine($"   {clients[c].Name,-52} {LatencyRecorder.Percentile(sorted, 0.5),10:F0} {LatencyRecorder.Percentile(sorted, 0.9),8:F0}");
            }
            // The target is the CLI people should install: the native one when it is published.
            var judged = File.Exists(native) ? 1 : 0;
            var median = LatencyRecorder.Percentile([.. times[judged].Order()], 0.5);
            Console.WriteLine($"   {(median <= TargetMedianMs ? "met " : "MISS")} {clients[judged].Name} median <= {TargetMedianMs:F0} ms ({median:F0} ms; load average {LoadAverage.Now()})");
            return median <= TargetMedianMs ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Where <c>dotnet publish src/Cli -c Release -r RID</c> leaves the native CLI for this machine's runtime.</summary>
    internal static string NativeCli() =>
        Path.Combine(BuildOutput.RepositoryRoot, "src", "Cli", "bin", "Release", BuildOutput.Framework, RuntimeInformation.RuntimeIdentifier, "publish", "agentsnapshots");
}
