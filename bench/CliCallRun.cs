using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using AgentSnapshots.Tests.Processes;

namespace AgentSnapshots.Bench;

/// <summary>
/// The cli scenario (not a test): what one CLI call costs an agent that shells out to it on every tool call. One real
/// silo and a small workspace, then <c>--calls</c> rounds of three requests, each as separate processes interleaved so
/// load on the machine falls on all alike:
/// <list type="bullet">
/// <item><c>track</c> of the unchanged small workspace (what a hook does after a tool call that changed nothing);</item>
/// <item><c>hook claude-code</c> with a PostToolUse event of an Edit on stdin (the same track, labelled from the event);</item>
/// <item><c>history --json</c> of a <c>--steps</c>-step session.</item>
/// </list>
/// Each by the CLI as built (<c>dotnet agentsnapshots.dll</c>), as a native executable if published (<c>dotnet publish
/// src/Cli -c Release -r RID</c>), and curl of the same request (a process that only does HTTP); history also by a CLI of
/// another build if given (<c>--before DLL</c>, e.g. the Orleans-client CLI of an older commit, through the gateway).
/// Prints median and p90 of each against the targets (track ≤ 100 ms, hook ≤ 150 ms, history ≤ 150 ms median), judged
/// on the native CLI when it is published, else on the CLI as built.
/// <code>dotnet publish src/Cli -c Release -r linux-x64   # the native CLI is then timed (and judged) too
/// dotnet run -c Release --project bench -- cli [--calls 20] [--steps 10] [--before /tmp/old/src/Cli/bin/Release/net10.0/agentsnapshots.dll]</code>
/// </summary>
internal static class CliCallRun
{
    private const string HistorySession = "bench-cli";
    private const string TrackSession = "bench-cli-track";
    private const string HookSessionId = "bench-hook";

    /// <summary>One request timed through several clients, against its target.</summary>
    private sealed record Request(string Name, double TargetMedianMs, IReadOnlyList<(string Name, Func<Task<CliRun>> Call)> Clients, Func<CliRun, bool> Succeeded);

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
        string dll;
        try
        {
            dll = CliProcess.Dll;
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
                using var tracked = await http.PostAsJsonAsync($"/v1/sessions/{HistorySession}/snapshots", new { dir = workspace, label = $"step {step}" });
                tracked.EnsureSuccessStatusCode();
            }

            var native = NativeCli();
            var requests = Requests(silo, root, workspace, dll, File.Exists(native) ? native : null, before, options["--steps"]);
            if (!File.Exists(native))
            {
                Console.WriteLine($"   (no native CLI at {native}: dotnet publish src/Cli -c Release -r {RuntimeInformation.RuntimeIdentifier} times it too)");
            }

            Console.WriteLine($"== cli: one process per call, {options["--calls"]} calls per client, interleaved; {SmallWorkspace.Files}-file workspace; load average {LoadAverage.Now()}{(before is null ? "" : $"; --before {before}")}");
            var times = requests.Select(r => r.Clients.Select(_ => new List<double>()).ToArray()).ToArray();
            for (var call = -2; call < options["--calls"]; call++)
            {
                for (var r = 0; r < requests.Count; r++)
                {
                    for (var c = 0; c < requests[r].Clients.Count; c++)
                    {
                        var watch = Stopwatch.StartNew();
                        var run = await requests[r].Clients[c].Call();
                        watch.Stop();
                        if (!requests[r].Succeeded(run))
                        {
                            await Console.Error.WriteLineAsync($"cli: {requests[r].Name}, {requests[r].Clients[c].Name} failed: {run}");
                            return 1;
                        }
                        // The first two rounds warm the disk cache and the silo; they are not counted.
                        if (call >= 0)
                        {
                            times[r][c].Add(watch.Elapsed.TotalMilliseconds);
                        }
                    }
                }
            }

            var allMet = true;
            Console.WriteLine($"   {"request",-34} {"client",-46} {"median ms",10} {"p90 ms",8}");
            for (var r = 0; r < requests.Count; r++)
            {
                for (var c = 0; c < requests[r].Clients.Count; c++)
                {
                    var sorted = times[r][c].Order().ToArray();
                    Console.WriteLine($"   {requests[r].Name,-34} {requests[r].Clients[c].Name,-46} {LatencyRecorder.Percentile(sorted, 0.5),10:F0} {LatencyRecorder.Percentile(sorted, 0.9),8:F0}");
                }
            }
            for (var r = 0; r < requests.Count; r++)
            {
                // The target is the CLI people should install: the native one when it is published (the first client).
                var median = LatencyRecorder.Percentile([.. times[r][0].Order()], 0.5);
                var met = median <= requests[r].TargetMedianMs;
                allMet &= met;
                Console.WriteLine($"   {(met ? "met " : "MISS")} {requests[r].Name}: {requests[r].Clients[0].Name} median <= {requests[r].TargetMedianMs:F0} ms ({median:F0} ms)");
            }
            Console.WriteLine($"   load average {LoadAverage.Now()}");
            return allMet ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The three requests, each by the native CLI (if published; first, as it is judged), the CLI as built and curl.</summary>
    private static List<Request> Requests(SiloProcess silo, string root, string workspace, string dll, string? native, string? before, int steps)
    {
        // curl reads the key from a header file, as a script keeps it out of its command line.
        var header = Path.Combine(root, "authorization");
        File.WriteAllText(header, $"Authorization: Bearer {silo.LocalKey}\n");
        string Url(string session) => $"{silo.CliServer}/v1/sessions/{session}/snapshots";
        Func<Task<CliRun>> Curl(string session, object? body) => body is null
            ? () => ProcessRunner.RunAsync("curl", ["-sSf", "-H", "@" + header, Url(session)], root)
            : () => ProcessRunner.RunAsync("curl", ["-sSf", "-H", "@" + header, "-H", "Content-Type: application/json", "--data-binary", JsonSerializer.Serialize(body), Url(session)], root);

        // Every client of a request: the native CLI when published, the CLI as built, curl of the same request.
        List<(string Name, Func<Task<CliRun>> Call)> Clients(string[] cliArgs, string? stdin, Func<Task<CliRun>> curl)
        {
            string[] args = ["--server", silo.CliServer, .. cliArgs];
            var clients = new List<(string Name, Func<Task<CliRun>> Call)>();
            if (native is not null)
            {
                clients.Add(($"agentsnapshots native ({RuntimeInformation.RuntimeIdentifier})", () => ProcessRunner.RunAsync(native, args, root, silo.CliEnvironment, stdin: stdin)));
            }
            clients.Add(($"agentsnapshots ({BuildOutput.Configuration}, dotnet dll)", () => ProcessRunner.RunAsync("dotnet", [dll, .. args], root, silo.CliEnvironment, stdin: stdin)));
            clients.Add(("curl, the same request", curl));
            return clients;
        }

        var label = "unchanged";
        var edited = Path.Combine(workspace, "f0.txt");
        var hookEvent = JsonSerializer.Serialize(new
        {
            session_id = HookSessionId,
            cwd = workspace,
            hook_event_name = "PostToolUse",
            tool_name = "Edit",
            tool_input = new { file_path = edited, old_string = "a", new_string = "b" },
        });
        var history = Clients(["history", "--session", HistorySession, "--json"], null, Curl(HistorySession, null));
        if (before is not null)
        {
            history.Add(("--before DLL, through the gateway", () => ProcessRunner.RunAsync("dotnet", [before, "history", "--gateway", $"127.0.0.1:{silo.GatewayPort}", "--session", HistorySession, "--json"], root)));
        }
        return
        [
            new("track, unchanged workspace", 100,
                Clients(["track", "--session", TrackSession, "--dir", workspace, "--label", label], null, Curl(TrackSession, new { dir = workspace, label })),
                run => run.ExitCode == 0 && run.Stdout.Length > 0),
            new("hook claude-code, PostToolUse Edit", 150,
                Clients(["hook", "claude-code"], hookEvent, Curl("claude-" + HookSessionId, new { dir = workspace, label = "Edit f0.txt" })),
                // The hook exits 0 whatever happens; a snapshot it could not take is a line on stderr.
                run => run.ExitCode == 0 && run.Stderr.Length == 0),
            new($"history --json, {steps} steps", 150, history,
                run => run.ExitCode == 0 && run.Stdout.Contains($"step {steps - 1}", StringComparison.Ordinal)),
        ];
    }

    /// <summary>Where <c>dotnet publish src/Cli -c Release -r RID</c> leaves the native CLI for this machine's runtime.</summary>
    private static string NativeCli() =>
        Path.Combine(BuildOutput.RepositoryRoot, "src", "Cli", "bin", "Release", BuildOutput.Framework, RuntimeInformation.RuntimeIdentifier, "publish", "agentsnapshots");
}
