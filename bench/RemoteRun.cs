using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSnapshots.Tests.Processes;

namespace AgentSnapshots.Bench;

/// <summary>
/// Remote workspaces through real processes: one silo (HTTP API) and workspace agents (the CLI's <c>agent</c> verb),
/// each operation timed end to end through HTTP, beside the same operation on the local-directory path (the silo
/// reads the directory itself) in the same run, on the same tree:
/// a generated tree of N files (no-change and edited tracks, each side with its watcher), the seed's turns 1 and 2
/// (first track, and the summary of turn 1 to 2), and the restore of an M-file snapshot into an empty directory (for
/// the remote side a new agent on a new directory: every object crosses the wire). Also the agent's resident memory
/// while it sends the seed (beyond its idle and its stat index) and the silo's while it receives it.
/// <code>dotnet run -c Release --project bench -- remote [--files 100000] [--edits 10] [--repeats 5] [--big1-mib 128] [--big2-mib 96] [--small-kib 512] [--restore-files 20000] [--only tree,seed,restore]</code>
/// (<c>--only</c>: the parts to run, comma-separated; all by default).
/// </summary>
internal static class RemoteRun
{
    private const long MiB = 1 << 20;

    private static readonly Dictionary<string, int> Defaults = new()
    {
        ["--files"] = 100_000,
        ["--edits"] = 10,
        ["--repeats"] = 5,
        ["--big1-mib"] = 128,
        ["--big2-mib"] = 96,
        ["--small-kib"] = 512,
        ["--restore-files"] = 20_000,
    };

    /// <summary>The agent as shipped (the native executable of <c>dotnet publish src/Cli -c Release -r linux-x64 -p:AgentSnapshotsMigrate=false</c>, as the Dockerfile's agent stage makes it) when published; else the built CLI through dotnet.</summary>
    private static readonly string? s_agent = File.Exists(CliCallRun.NativeCli()) ? CliCallRun.NativeCli() : null;

    private sealed record Row(string Operation, TimeSpan Local, TimeSpan Remote, string Target, bool Met);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        Dictionary<string, int> o;
        HashSet<string> parts;
        try
        {
            (parts, args) = Parts(args);
            o = WholeNumberOptions.Parse(args, Defaults);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"remote: {e.Message}; options: {string.Join(' ', Defaults.Select(d => $"[{d.Key} {d.Value}]"))} [--only {string.Join(',', AllParts)}]");
            return 2;
        }
        Console.WriteLine($"AgentSnapshots remote benchmark, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30} GiB, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; " +
            string.Join(' ', o.Select(p => $"{p.Key} {p.Value}")) + $" --only {string.Join(',', AllParts.Where(parts.Contains))}");
        var root = Directory.CreateTempSubdirectory("agentsnapshots-remote-").FullName;
        var rows = new List<Row>();
        try
        {
            var work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            await using var silo = await BenchSilo.StartAsync(Path.Combine(root, "data"), work, maxFileBytes: 1L << 30, new Dictionary<string, string>
            {
                ["Http__Port"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
                ["Snapshots__MaxFilesPerWorkspace"] = (2L * o["--files"] + 1_000).ToString(CultureInfo.InvariantCulture),
                // The agent endpoint's "attached" line tells when an agent can take commands.
                ["Logging__LogLevel__AgentSnapshots.Silo.Remote"] = "Information",
            });
            using var api = new HttpClient { BaseAddress = silo.HttpAddress, Timeout = TimeSpan.FromMinutes(30) };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", silo.LocalKey);

            if (parts.Contains("tree"))
            {
                await AgentBinaryAsync(silo, root);
                await BigTreeAsync(silo, api, work, root, o, rows);
            }
            if (parts.Contains("seed")) await SeedAsync(silo, api, work, root, o, rows);
            if (parts.Contains("restore")) await RestoreAsync(silo, api, work, root, o, rows);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        Console.WriteLine("== remote against local (same run, same trees; walls end to end through HTTP)");
        Console.WriteLine($"   {"operation",-44} {"local dir",10} {"agent",10} {"ratio",6}  target");
        foreach (var r in rows)
        {
            var ratio = r.Local > TimeSpan.Zero ? $"{r.Remote / r.Local:F2}x" : "";
            Console.WriteLine($"   {r.Operation,-44} {Secs(r.Local),10} {Secs(r.Remote),10} {ratio,6}  {r.Target}: {(r.Met ? "met" : "NOT MET")}");
        }
        return rows.All(r => r.Met) ? 0 : 1;
    }

    private static readonly string[] AllParts = ["tree", "seed", "restore"];

    /// <summary>The parts <c>--only a,b</c> names (all without it: "tree" is the agent binary's figures and the N-file tree), and the other arguments.</summary>
    private static (HashSet<string> Parts, IReadOnlyList<string> Others) Parts(IReadOnlyList<string> args)
    {
        var at = args.ToList().IndexOf("--only");
        if (at < 0) return ([.. AllParts], args);
        if (at + 1 >= args.Count) throw new FormatException("--only needs parts, e.g. --only seed,restore");
        var named = args[at + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (named.Count == 0 || !named.IsSubsetOf(AllParts))
        {
            throw new FormatException($"--only takes {string.Join(", ", AllParts)}, comma-separated");
        }
        return (named, [.. args.Take(at), .. args.Skip(at + 2)]);
    }

    /// <summary>The agent's executable: size, start (process start to connected) and idle memory, the native one beside the dotnet one.</summary>
    private static async Task AgentBinaryAsync(SiloProcess silo, string root)
    {
        Console.WriteLine(s_agent is null
            ? $"== agent: the built CLI through dotnet (publish src/Cli -c Release -r linux-x64 for the native agent, then it is timed too and used throughout)"
            : $"== agent: the native executable {s_agent} ({new FileInfo(s_agent).Length / (double)MiB:F1} MiB), used throughout");
        var idle = Directory.CreateDirectory(Path.Combine(root, "idle")).FullName;
        foreach (var executable in s_agent is null ? new string?[] { null } : [s_agent, null])
        {
            var starts = new List<TimeSpan>();
            long resident = 0;
            for (var i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                await using var agent = await AgentProcess.StartAsync(silo.CliServer, silo.LocalKey, "idle", idle, Path.Combine(root, "cache-idle"), waitConnected: true, executable);
                starts.Add(sw.Elapsed);
                await Task.Delay(1000);
                resident = ProcessMemory.ResidentBytes(agent.ProcessId);
            }
            Console.WriteLine($"   {(executable is null ? "dotnet agentsnapshots.dll agent" : "native agentsnapshots agent"),-32} start to connected {Secs(BigTreeRun.Median(starts))} (median of 3), idle RSS {Mib(resident)}");
        }
    }

    /// <summary>A generated tree tracked through the silo's own walk and through an agent (each with its watcher): no change, then edits.</summary>
    private static async Task BigTreeAsync(SiloProcess silo, HttpClient api, string work, string root, Dictionary<string, int> o, List<Row> rows)
    {
        var tree = Directory.CreateDirectory(Path.Combine(work, "tree")).FullName;
        var generate = Stopwatch.StartNew();
        var tracked = BigTreeRun.Generate(tree, o["--files"]);
        Console.WriteLine($"== tree of {o["--files"]:N0} files (+{o["--files"] / 2:N0} ignored), generated in {generate.Elapsed.TotalSeconds:F1} s");
        await using var agent = await AgentProcess.StartAsync(silo, "tree", tree, Path.Combine(root, "cache-tree"), s_agent);
        var local = new { dir = tree };
        var remote = new { workspace = "tree" };
        var (firstLocal, localHash) = await TrackAsync(api, "local-tree", local);
        var (firstRemote, remoteHash) = await TrackAsync(api, "remote-tree", remote);
        Console.WriteLine($"   first track: local {Secs(firstLocal)}, agent {Secs(firstRemote)}{Same(localHash, remoteHash)}");
        // One more track each lets files written in the last seconds before the first (racy then) be trusted.
        await TrackAsync(api, "local-tree", local);
        await TrackAsync(api, "remote-tree", remote);
        var noChange = (Local: new List<TimeSpan>(), Remote: new List<TimeSpan>());
        for (var i = 0; i < o["--repeats"]; i++)
        {
            noChange.Local.Add((await TrackAsync(api, "local-tree", local)).Wall);
            noChange.Remote.Add((await TrackAsync(api, "remote-tree", remote)).Wall);
        }
        var edited = (Local: new List<TimeSpan>(), Remote: new List<TimeSpan>());
        var random = new Random(19);
        var same = true;
        for (var i = 0; i < o["--repeats"]; i++)
        {
            BigTreeRun.Edit(tree, tracked, o["--edits"], random);
            var l = await TrackAsync(api, "local-tree", local);
            var r = await TrackAsync(api, "remote-tree", remote);
            edited.Local.Add(l.Wall);
            edited.Remote.Add(r.Wall);
            same &= l.Hash == r.Hash;
        }
        Console.WriteLine($"   no change (median of {o["--repeats"]}): local {Secs(BigTreeRun.Median(noChange.Local))}, agent {Secs(BigTreeRun.Median(noChange.Remote))}; " +
            $"{o["--edits"]} edits: local {Secs(BigTreeRun.Median(edited.Local))}, agent {Secs(BigTreeRun.Median(edited.Remote))}{(same ? " (trees equal)" : " (TREES DIFFER)")}");
        var files = $"{o["--files"] / 1000}k";
        rows.Add(new($"{files} files: first track", firstLocal, firstRemote, "(no target)", localHash == remoteHash));
        var noChangeRemote = BigTreeRun.Median(noChange.Remote);
        rows.Add(new($"{files} files: no-change track", BigTreeRun.Median(noChange.Local), noChangeRemote, "agent <= 50 ms", noChangeRemote <= TimeSpan.FromMilliseconds(50)));
        var editedRemote = BigTreeRun.Median(edited.Remote);
        rows.Add(new($"{files} files: {o["--edits"]} edited files", BigTreeRun.Median(edited.Local), editedRemote, "agent <= 100 ms", same && editedRemote <= TimeSpan.FromMilliseconds(100)));
    }

    /// <summary>The seed's turn 1 tracked first through an agent (memory sampled on both sides), then through the silo's walk; turn 2 and the summary of 1 to 2.</summary>
    private static async Task SeedAsync(SiloProcess silo, HttpClient api, string work, string root, Dictionary<string, int> o, List<Row> rows)
    {
        var seed = Directory.CreateDirectory(Path.Combine(work, "seed")).FullName;
        var cache = Path.Combine(root, "cache-seed");
        Console.WriteLine($"== seed: {o["--big1-mib"]} MiB + {o["--big2-mib"]} MiB + {o["--small-kib"]} KiB, turns 1 and 2");
        // The agent runs a while before the seed's first turn, as one beside a sandbox does (its code paths warm).
        await using var agent = await AgentProcess.StartAsync(silo, "seed", seed, cache, s_agent);
        await File.WriteAllTextAsync(Path.Combine(seed, "README.md"), "seed\n");
        await TrackAsync(api, "warm-seed", new { workspace = "seed" });
        Scenario.WriteSeedTurn(seed, 1, o["--big1-mib"], o["--big2-mib"], o["--small-kib"]);
        await Task.Delay(1000);
        var agentIdle = ProcessMemory.ResidentBytes(agent.ProcessId);
        var siloIdle = ProcessMemory.ResidentBytes(silo.ProcessId);
        ProcessMemory.ResetPeak(agent.ProcessId);
        ProcessMemory.ResetPeak(silo.ProcessId);
        // CPU time beside the walls: on a machine whose cores the agent and the silo share, the agent's path does the
        // local track's work (hash, deflate) plus the silo's verification (inflate, SHA-1) of the same bytes.
        var (agentCpu, siloCpu) = (ProcessCpu.Used(agent.ProcessId), ProcessCpu.Used(silo.ProcessId));
        var (remote1, remoteHash1) = await TrackAsync(api, "remote-seed", new { workspace = "seed" });
        (agentCpu, siloCpu) = (ProcessCpu.Used(agent.ProcessId) - agentCpu, ProcessCpu.Used(silo.ProcessId) - siloCpu);
        var agentPeak = ProcessMemory.PeakBytes(agent.ProcessId);
        var siloPeak = ProcessMemory.PeakBytes(silo.ProcessId);
        var index = Directory.Exists(cache) ? Directory.EnumerateFiles(cache, "agentsnapshots.index*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
        var localCpu = ProcessCpu.Used(silo.ProcessId);
        var (local1, localHash1) = await TrackAsync(api, "local-seed", new { dir = seed });
        localCpu = ProcessCpu.Used(silo.ProcessId) - localCpu;
        Console.WriteLine($"   turn 1: agent {Secs(remote1)} (its own snapshot {agent.LastSnapshotTime}), local {Secs(local1)}{Same(localHash1, remoteHash1)}; agent RSS idle {Mib(agentIdle)}, peak {Mib(agentPeak)}, index {Mib(index)}; " +
            $"silo RSS idle {Mib(siloIdle)}, peak while receiving {Mib(siloPeak)}");
        Console.WriteLine($"   CPU time of turn 1: through the agent {Secs(agentCpu)} in the agent + {Secs(siloCpu)} in the silo; local {Secs(localCpu)} in the silo");
        Console.WriteLine($"   the agent: {LastLine(agent.Log, "Sent tree ")}");
        Console.WriteLine($"   the silo: {LastLine(silo.Output, ": received tree ")}");

        Scenario.WriteSeedTurn(seed, 2, o["--big1-mib"], o["--big2-mib"], o["--small-kib"]);
        // Each side's summary is asked right after its own track (as a client does), so neither waits on the other's.
        var (remote2, remoteHash2) = await TrackAsync(api, "remote-seed", new { workspace = "seed" });
        var summaryRemote = await TimeAsync(() => api.GetAsync($"/v1/sessions/remote-seed/diff?from={remoteHash1}&to={remoteHash2}"));
        var (local2, localHash2) = await TrackAsync(api, "local-seed", new { dir = seed });
        var summaryLocal = await TimeAsync(() => api.GetAsync($"/v1/sessions/local-seed/diff?from={localHash1}&to={localHash2}"));
        Console.WriteLine($"   turn 2: agent {Secs(remote2)}, local {Secs(local2)}{Same(localHash2, remoteHash2)}; summary 1->2: agent's session {Secs(summaryRemote)}, local session {Secs(summaryLocal)}");

        rows.Add(new("seed turn 1 (first track)", local1, remote1, "agent <= 1.5x local", localHash1 == remoteHash1 && remote1 <= local1 * 1.5));
        rows.Add(new("seed turn 2", local2, remote2, "(no target)", localHash2 == remoteHash2));
        rows.Add(new("seed summary turn 1->2", summaryLocal, summaryRemote, "agent's <= 1.5x local's", summaryRemote <= summaryLocal * 1.5));
        var beyond = agentPeak - agentIdle - index;
        rows.Add(new($"agent RSS beyond idle+index while sending: {Mib(beyond)}", TimeSpan.Zero, TimeSpan.Zero, "<= 64 MiB", beyond <= 64 * MiB));
        rows.Add(new($"silo RSS over idle while receiving: {Mib(siloPeak - siloIdle)}", TimeSpan.Zero, TimeSpan.Zero, "<= 64 MiB", siloPeak - siloIdle <= 64 * MiB));
    }

    /// <summary>An M-file snapshot restored into an empty directory: the silo's restore of the emptied directory, and a new agent's on a new one.</summary>
    private static async Task RestoreAsync(SiloProcess silo, HttpClient api, string work, string root, Dictionary<string, int> o, List<Row> rows)
    {
        var source = Directory.CreateDirectory(Path.Combine(work, "restore")).FullName;
        BigTreeRun.Generate(source, o["--restore-files"]);
        Directory.Delete(Path.Combine(source, "node_modules"), recursive: true);
        Console.WriteLine($"== restore of a {o["--restore-files"]:N0}-file snapshot into an empty directory");
        var (_, hash) = await TrackAsync(api, "local-restore", new { dir = source });
        await using (var first = await AgentProcess.StartAsync(silo, "restore", source, Path.Combine(root, "cache-restore-1"), s_agent))
        {
            var (_, remoteHash) = await TrackAsync(api, "remote-restore", new { workspace = "restore" });
            if (remoteHash != hash) throw new InvalidOperationException($"the agent's tree {remoteHash} is not the silo's {hash}");
        }

        Empty(source);
        var local = await TimeAsync(() => api.PostAsync("/v1/sessions/local-restore/restore", Json(new { to = hash })));
        var localAfter = (await TrackAsync(api, "local-restore", new { dir = source })).Hash;

        // A new sandbox: a new agent with an empty cache on an empty directory.
        var fresh = Directory.CreateDirectory(Path.Combine(work, "restore-fresh")).FullName;
        await using var second = await AgentProcess.StartAsync(silo, "restore", fresh, Path.Combine(root, "cache-restore-2"), s_agent);
        var remote = await TimeAsync(() => api.PostAsync("/v1/sessions/remote-restore/restore", Json(new { to = hash })));
        var remoteAfter = (await TrackAsync(api, "remote-restore", new { workspace = "restore" })).Hash;
        var same = localAfter == hash && remoteAfter == hash;
        Console.WriteLine($"   local (emptied directory) {Secs(local)}, new agent on an empty directory {Secs(remote)} ({second.SentBytes / (double)MiB:F1} MiB sent back by the agent){(same ? " (both equal the snapshot)" : " (A RESTORED TREE DIFFERS)")}");
        Console.WriteLine($"   the agent: {LastLine(second.Log, "Restored ")}");
        rows.Add(new($"restore {o["--restore-files"] / 1000}k files into an empty dir", local, remote, "agent <= 1.5x local", same && remote <= local * 1.5));
    }

    /// <summary>The last line of a process's log holding <paramref name="marker"/> (its phase timings).</summary>
    private static string? LastLine(string log, string marker) => log.Split('\n').LastOrDefault(l => l.Contains(marker, StringComparison.Ordinal))?.Trim();

    private static void Empty(string directory)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }

    private static async Task<(TimeSpan Wall, string Hash)> TrackAsync(HttpClient api, string session, object body)
    {
        string? hash = null;
        var wall = await TimeAsync(async () =>
        {
            var reply = await api.PostAsync($"/v1/sessions/{session}/snapshots", Json(body));
            if (reply.IsSuccessStatusCode)
            {
                using var json = JsonDocument.Parse(await reply.Content.ReadAsStringAsync());
                hash = json.RootElement.GetProperty("hash").GetString();
            }
            return reply;
        });
        return (wall, hash!);
    }

    /// <summary>Times one HTTP call; a reply other than 2xx stops the run with its body.</summary>
    private static async Task<TimeSpan> TimeAsync(Func<Task<HttpResponseMessage>> call)
    {
        var sw = Stopwatch.StartNew();
        using var reply = await call();
        var body = await reply.Content.ReadAsStringAsync();
        sw.Stop();
        if (!reply.IsSuccessStatusCode) throw new InvalidOperationException($"{reply.RequestMessage?.RequestUri}: {(int)reply.StatusCode} {body}");
        return sw.Elapsed;
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static string Same(string local, string remote) => local == remote ? " (same tree)" : $" (TREES DIFFER: {local} {remote})";

    private static string Secs(TimeSpan t) => t == TimeSpan.Zero ? "" : t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:F1} ms" : $"{t.TotalSeconds:F2} s";

    private static string Mib(long bytes) => $"{bytes / (double)MiB:F1} MiB";
}
