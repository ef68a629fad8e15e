using System.Diagnostics;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Bench;

/// <summary>
/// The load run (not a test): hundreds of sessions, each on its own small workspace under one temp root, edit a file,
/// track it and diff it through one real silo process for a bounded time with bounded concurrency. Reports
/// throughput, p50/p99 latency per operation kind and errors (there must be none); any error fails the run.
/// With <c>--silos N</c> (N ≥ 2) the same workload runs through a cluster of N silo processes as it runs without a
/// shared volume: membership and the <c>postgres</c> object store in one throwaway PostgreSQL database, each silo its
/// own DataDir (a cache), mutual TLS; the SDK client spreads the calls over every gateway.
/// <code>dotnet run -c Release --project bench -- load [--sessions 300] [--seconds 60] [--concurrency 32] [--silos 1]</code>
/// </summary>
internal static class LoadRun
{
    private sealed record Settings(int Sessions, int Seconds, int Concurrency, int Silos);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync("load: " + e.Message + " (usage: load [--sessions N] [--seconds S] [--concurrency C] [--silos N])");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("agentsnapshots-load-").FullName;
        var silos = new List<SiloProcess>();
        try
        {
            var workRoot = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            using var host = await StartAsync(settings.Silos, root, workRoot, silos);
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IAgentSnapshotsClient>();
            var recorder = new LatencyRecorder();

            Console.WriteLine($"== load: {settings.Sessions} sessions (own workspace, {SmallWorkspace.Files} small files each), {settings.Concurrency} at once, {settings.Seconds} s" +
                (silos.Count > 1 ? $"; {silos.Count} silos in one cluster, postgres object store, calls spread over their gateways" : ""));
            var workspaces = Enumerable.Range(0, settings.Sessions).Select(i => SmallWorkspace.Create(workRoot, $"ws{i:D4}", i)).ToArray();
            var lastHash = new string[settings.Sessions];
            var beforeBind = silos.Select(s => ProcessMemory.ResidentBytes(s.ProcessId)).ToArray();
            var bind = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, settings.Sessions), new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency }, async (i, _) =>
            {
                try
                {
                    lastHash[i] = (await recorder.Time("bind", () => client.TrackAsync(SessionId(i), workspaces[i], "start"))).Hash;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    recorder.Error($"first track of {SessionId(i)}: {e.GetType().Name}: {e.Message}");
                }
            });
            // Binding (a first track: a new store each) is reported on its own line, apart from the steady tracks.
            Console.WriteLine($"   bound {settings.Sessions} sessions in {bind.Elapsed.TotalSeconds:F1} s; load average {LoadAverage.Now()}");
            // Every session and its workspace are active now: what an active session costs the silo (its two
            // activations, their state and the workspace's open store), beside the process's own size before.
            // (In a cluster each silo holds about its share of them.)
            for (var s = 0; s < silos.Count; s++)
            {
                var afterBind = ProcessMemory.ResidentBytes(silos[s].ProcessId);
                Console.WriteLine($"   {SiloName(silos, s)}RSS {beforeBind[s] >> 20} MiB before binding, {afterBind >> 20} MiB with {settings.Sessions} sessions active: " +
                    $"{(afterBind - beforeBind[s]) * silos.Count / settings.Sessions / 1024.0:F1} KiB per active session{(silos.Count > 1 ? " it holds (an even share assumed)" : "")}");
            }

            foreach (var silo in silos) ProcessMemory.ResetPeak(silo.ProcessId);
            var idle = silos.Select(s => ProcessMemory.ResidentBytes(s.ProcessId)).ToArray();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds));
            var steps = 0L;
            var cpuBefore = silos.Select(s => ProcessCpu.Used(s.ProcessId)).ToArray();
            var run = Stopwatch.StartNew();
            // Worker w owns sessions w, w + C, w + 2C, ...: one step of a session at a time, all sessions in turn.
            var workers = Enumerable.Range(0, settings.Concurrency).Select(w => Task.Run(async () =>
            {
                var turn = 0;
                while (!stop.IsCancellationRequested)
                {
                    for (var i = w; i < settings.Sessions && !stop.IsCancellationRequested; i += settings.Concurrency)
                    {
                        await Step(client, recorder, i, workspaces[i], lastHash, turn);
                        Interlocked.Increment(ref steps);
                    }
                    turn++;
                }
            })).ToArray();
            await Task.WhenAll(workers);
            run.Stop();
            var cpu = silos.Select((s, i) => ProcessCpu.Used(s.ProcessId) - cpuBefore[i]).ToArray();
            var peak = silos.Select(s => ProcessMemory.PeakBytes(s.ProcessId)).ToArray();

            // Usage and gc of one workspace at the end, under the same error rule.
            try
            {
                var usage = await recorder.Time("usage", () => client.UsageAsync(SessionId(0)));
                var gc = await recorder.Time("gc", () => client.CollectAsync(SessionId(0)));
                Console.WriteLine($"   session {SessionId(0)}: {usage.Snapshots} snapshots kept, {usage.Objects} objects, {usage.Bytes:N0} bytes; gc dropped {gc.DroppedSnapshots}, freed {gc.BytesFreed:N0} bytes");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                recorder.Error($"usage/gc: {e.GetType().Name}: {e.Message}");
            }

            Report(recorder, run.Elapsed, steps, silos, idle, peak, cpu);
            await host.StopAsync();
            return recorder.ErrorCount == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Starts the silo (or the cluster's silos, into <paramref name="silos"/>) and returns the SDK's host that reaches them.</summary>
    private static async Task<IHost> StartAsync(int count, string root, string workRoot, List<SiloProcess> silos)
    {
        if (count == 1)
        {
            silos.Add(await BenchSilo.StartAsync(Path.Combine(root, "data"), workRoot, maxFileBytes: 1L << 30, new Dictionary<string, string>()));
            return BenchSilo.ClientHost(silos[0].GatewayPort);
        }
        var (database, cluster) = await BenchObjectStore.ClusterAsync();
        for (var s = 0; s < count; s++)
        {
            // No shared volume: each silo's DataDir is its own cache of the database's packs.
            silos.Add(await BenchSilo.StartAsync(Path.Combine(root, $"data{s}"), workRoot, maxFileBytes: 1L << 30, new Dictionary<string, string>(), cluster));
        }
        return BenchSilo.ClusterClientHost(database, ClusterCertificates.Ours);
    }

    private static string SiloName(List<SiloProcess> silos, int s) => silos.Count == 1 ? "silo " : $"silo {s + 1}: ";

    /// <summary>One agent step: edit a file, track, diff the new snapshot against the previous one, and every fourth step diff against now.</summary>
    private static async Task Step(IAgentSnapshotsClient client, LatencyRecorder recorder, int i, string workspace, string[] lastHash, int turn)
    {
        var session = SessionId(i);
        try
        {
            var file = Path.Combine(workspace, $"f{turn % SmallWorkspace.Files}.txt");
            await File.AppendAllTextAsync(file, $"turn {turn} of {session}\n");
            var tracked = await recorder.Time("track", () => client.TrackAsync(session));
            var previous = lastHash[i];
            lastHash[i] = tracked.Hash;
            if (previous is null)
            {
                return;
            }
            var diff = await recorder.Time("diff", () => client.DiffAsync(session, previous, tracked.Hash));
            if (diff.FileCount != 1 || diff.Additions != 1 || diff.Deletions != 0)
            {
                recorder.Error($"diff of {session} turn {turn}: expected 1 file +1 -0, got {diff.FileCount} files +{diff.Additions} -{diff.Deletions}");
            }
            if (turn % 4 == 3)
            {
                var now = await recorder.Time("diff-now", () => client.DiffAsync(session, tracked.Hash));
                if (now.FileCount != 0)
                {
                    recorder.Error($"diff-now of {session} turn {turn}: expected no change, got {now.FileCount} files");
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            recorder.Error($"{session} turn {turn}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static void Report(LatencyRecorder recorder, TimeSpan elapsed, long steps, List<SiloProcess> silos, long[] idle, long[] peak, TimeSpan[] cpu)
    {
        // The steady run's operations (usage and gc come after the CPU was read).
        var operations = recorder.Snapshot().Where(p => p.Key is not ("bind" or "usage" or "gc")).Sum(p => p.Value.Length);
        Console.WriteLine($"   {operations:N0} operations ({steps:N0} agent steps) in {elapsed.TotalSeconds:F1} s: {operations / elapsed.TotalSeconds:F0} operations/s, {steps / elapsed.TotalSeconds:F0} steps/s");
        recorder.PrintLatencies();
        for (var s = 0; s < silos.Count; s++)
        {
            Console.WriteLine($"   {(silos.Count == 1 ? "" : $"[silo {s + 1}] ")}{ProcessCpu.PerOperation(cpu[s], operations, elapsed)}");
            Console.WriteLine($"   {SiloName(silos, s)}RSS: {idle[s] >> 20} MiB before the run, peak {peak[s] >> 20} MiB during it");
        }
        if (silos.Count > 1)
        {
            Console.WriteLine($"   [{silos.Count} silos together] {ProcessCpu.PerOperation(cpu.Aggregate(TimeSpan.Zero, (a, b) => a + b), operations, elapsed)}");
        }
        Console.WriteLine($"   load average {LoadAverage.Now()}");
        recorder.PrintErrors();
    }

    private static string SessionId(int i) => $"load-{i:D4}";

    private static Settings Parse(IReadOnlyList<string> args)
    {
        var o = WholeNumberOptions.Parse(args, new Dictionary<string, int> { ["--sessions"] = 300, ["--seconds"] = 60, ["--concurrency"] = 32, ["--silos"] = 1 });
        return new Settings(o["--sessions"], o["--seconds"], Math.Min(o["--concurrency"], o["--sessions"]), o["--silos"]);
    }
}
