using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Bench;

/// <summary>
/// The load run (not a test): hundreds of sessions, each on its own small workspace under one temp root, edit a file,
/// track it and diff it through one real silo process for a bounded time with bounded concurrency. Reports
/// throughput, p50/p99 latency per operation kind and errors (there must be none); any error fails the run.
/// <code>dotnet run -c Release --project bench -- load [--sessions 300] [--seconds 60] [--concurrency 32]</code>
/// </summary>
internal static class LoadRun
{
    private const int FilesPerWorkspace = 4;

    private sealed record Settings(int Sessions, int Seconds, int Concurrency);

    private sealed class Recorder
    {
        private readonly Dictionary<string, List<double>> _latencies = new(StringComparer.Ordinal);
        private readonly List<string> _errors = [];

        public int ErrorCount
        {
            get
            {
                lock (_errors) return _errors.Count;
            }
        }

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_errors) return [.. _errors];
            }
        }

        public async Task<T> Time<T>(string kind, Func<Task<T>> operation)
        {
            var sw = Stopwatch.StartNew();
            var result = await operation();
            Add(kind, sw.Elapsed.TotalMilliseconds);
            return result;
        }

        public void Add(string kind, double milliseconds)
        {
            lock (_latencies)
            {
                if (!_latencies.TryGetValue(kind, out var list))
                {
                    _latencies[kind] = list = [];
                }
                list.Add(milliseconds);
            }
        }

        public void Error(string what)
        {
            lock (_errors) _errors.Add(what);
        }

        public Dictionary<string, double[]> Snapshot()
        {
            lock (_latencies)
            {
                return _latencies.ToDictionary(p => p.Key, p => p.Value.Order().ToArray(), StringComparer.Ordinal);
            }
        }
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, string siloDll)
    {
        Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync("load: " + e.Message + " (usage: load [--sessions N] [--seconds S] [--concurrency C])");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("agentsnapshots-load-").FullName;
        try
        {
            var workRoot = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            using var silo = await SiloProcess.StartAsync(siloDll, Path.Combine(root, "data"), workRoot, maxFileBytes: 1L << 30, new Dictionary<string, string>());
            using var host = ClientHost(silo.GatewayPort);
            await host.StartAsync();
            var client = host.Services.GetRequiredService<AgentSnapshotsClient>();
            var recorder = new Recorder();

            Console.WriteLine($"== load: {settings.Sessions} sessions (own workspace, {FilesPerWorkspace} small files each), {settings.Concurrency} at once, {settings.Seconds} s");
            var workspaces = Enumerable.Range(0, settings.Sessions).Select(i => CreateWorkspace(workRoot, i)).ToArray();
            var lastHash = new string[settings.Sessions];
            var bind = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, settings.Sessions), new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency }, async (i, _) =>
            {
                try
                {
                    lastHash[i] = (await recorder.Time("track", () => client.Track(SessionId(i), workspaces[i], "start"))).Hash;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    recorder.Error($"first track of {SessionId(i)}: {e.GetType().Name}: {e.Message}");
                }
            });
            Console.WriteLine($"   bound {settings.Sessions} sessions in {bind.Elapsed.TotalSeconds:F1} s");

            ProcessMemory.ResetPeak(silo.Pid);
            var idle = ProcessMemory.ResidentBytes(silo.Pid);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds));
            var steps = 0L;
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
            var peak = ProcessMemory.PeakBytes(silo.Pid);

            // Usage and gc of one workspace at the end, under the same error rule.
            try
            {
                var usage = await recorder.Time("usage", () => client.Usage(SessionId(0)));
                var gc = await recorder.Time("gc", () => client.Collect(SessionId(0)));
                Console.WriteLine($"   session {SessionId(0)}: {usage.Snapshots} snapshots kept, {usage.Objects} objects, {usage.Bytes:N0} bytes; gc dropped {gc.DroppedSnapshots}, freed {gc.BytesFreed:N0} bytes");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                recorder.Error($"usage/gc: {e.GetType().Name}: {e.Message}");
            }

            Report(recorder, run.Elapsed, steps, idle, peak);
            await host.StopAsync();
            return recorder.ErrorCount == 0 ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>One agent step: edit a file, track, diff the new snapshot against the previous one, and every fourth step diff against now.</summary>
    private static async Task Step(AgentSnapshotsClient client, Recorder recorder, int i, string workspace, string[] lastHash, int turn)
    {
        var session = SessionId(i);
        try
        {
            var file = Path.Combine(workspace, $"f{turn % FilesPerWorkspace}.txt");
            await File.AppendAllTextAsync(file, $"turn {turn} of {session}\n");
            var tracked = await recorder.Time("track", () => client.Track(session));
            var previous = lastHash[i];
            lastHash[i] = tracked.Hash;
            if (previous is null)
            {
                return;
            }
            var diff = await recorder.Time("diff", () => client.Diff(session, previous, tracked.Hash));
            if (diff.FileCount != 1 || diff.Additions != 1 || diff.Deletions != 0)
            {
                recorder.Error($"diff of {session} turn {turn}: expected 1 file +1 -0, got {diff.FileCount} files +{diff.Additions} -{diff.Deletions}");
            }
            if (turn % 4 == 3)
            {
                var now = await recorder.Time("diff-now", () => client.Diff(session, tracked.Hash));
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

    private static void Report(Recorder recorder, TimeSpan elapsed, long steps, long idle, long peak)
    {
        var latencies = recorder.Snapshot();
        var operations = latencies.Values.Sum(l => l.Length);
        Console.WriteLine($"   {operations:N0} operations ({steps:N0} agent steps) in {elapsed.TotalSeconds:F1} s: {operations / elapsed.TotalSeconds:F0} operations/s, {steps / elapsed.TotalSeconds:F0} steps/s");
        Console.WriteLine($"   {"operation",-9} {"count",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
        foreach (var (kind, sorted) in latencies.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"   {kind,-9} {sorted.Length,8:N0} {Percentile(sorted, 0.50),8:F1} {Percentile(sorted, 0.99),8:F1} {sorted[^1],8:F1}");
        }
        Console.WriteLine($"   silo RSS: {idle >> 20} MiB before the run, peak {peak >> 20} MiB during it");
        var errors = recorder.Errors;
        Console.WriteLine($"   errors: {errors.Count}");
        foreach (var error in errors.Take(10))
        {
            Console.WriteLine("     " + error);
        }
        Console.WriteLine(errors.Count == 0 ? "   met  zero errors" : "   MISS zero errors");
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string SessionId(int i) => $"load-{i:D4}";

    private static string CreateWorkspace(string root, int i)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, $"ws{i:D4}")).FullName;
        for (var f = 0; f < FilesPerWorkspace; f++)
        {
            var lines = Enumerable.Range(0, 40 + (f * 20)).Select(n => $"workspace {i} file {f} line {n}: some source text of a small project");
            File.WriteAllLines(Path.Combine(dir, $"f{f}.txt"), lines);
        }
        return dir;
    }

    private static Settings Parse(IReadOnlyList<string> args)
    {
        int sessions = 300, seconds = 60, concurrency = 32;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new FormatException($"{args[i]} needs a positive whole number");
            switch (args[i])
            {
                case "--sessions": sessions = value; break;
                case "--seconds": seconds = value; break;
                case "--concurrency": concurrency = value; break;
                default: throw new FormatException($"unknown option '{args[i]}'");
            }
            i++;
        }
        return new Settings(sessions, seconds, Math.Min(concurrency, sessions));
    }

    private static IHost ClientHost(int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAgentSnapshotsClient(o => o.Gateways.Add($"127.0.0.1:{gatewayPort}"));
        return builder.Build();
    }
}
