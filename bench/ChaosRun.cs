using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Processes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentSnapshots.Bench;

/// <summary>
/// The chaos run (on demand, not a test): a cluster of silo processes on a throwaway PostgreSQL server and one shared
/// data directory. First a saturating mix: first snapshots of big generated workspaces and seed-size track + diff on
/// every silo at once, while a client calls <c>history</c> on small sessions and the membership table is watched
/// (target: no silo declared dead, history p99 ≤ 250 ms). Then one silo is SIGKILLed while calls (history and track)
/// continue, each retried until it succeeds (target: zero calls lost, and every acknowledged track in its history).
/// <code>dotnet run -c Release --project bench -- chaos [--silos 3] [--files 100000] [--big 3] [--seed 3] [--seed-mib 224] [--probes 16] [--after-kill 60]</code>
/// </summary>
internal static class ChaosRun
{
    private const int Dead = 6;
    private const double HistoryP99TargetMs = 250;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(120);

    /// <param name="Silos">Silo processes.</param>
    /// <param name="Files">Files in each big workspace.</param>
    /// <param name="Big">Big workspaces whose first snapshot runs in the mix.</param>
    /// <param name="Seed">Seed workspaces tracked and diffed in the mix.</param>
    /// <param name="SeedMib">Size of the seed scenario's two generated files together (224 = the seed scenario).</param>
    /// <param name="Probes">Small sessions the client calls during the mix and after the kill.</param>
    /// <param name="AfterKill">Seconds calls continue after the SIGKILL.</param>
    private sealed record Settings(int Silos, int Files, int Big, int Seed, int SeedMib, int Probes, int AfterKill);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        Settings settings;
        try
        {
            var o = WholeNumberOptions.Parse(args, new Dictionary<string, int>
            {
                ["--silos"] = 3, ["--files"] = 100_000, ["--big"] = 3, ["--seed"] = 3, ["--seed-mib"] = 224, ["--probes"] = 16, ["--after-kill"] = 60,
            });
            settings = new Settings(o["--silos"], o["--files"], o["--big"], o["--seed"], o["--seed-mib"], o["--probes"], o["--after-kill"]);
            if (settings.Silos < 2) throw new FormatException("--silos must be at least 2 (one is killed)");
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync("chaos: " + e.Message + " (usage: chaos [--silos N] [--files N] [--big N] [--seed N] [--seed-mib N] [--probes N] [--after-kill S])");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("agentsnapshots-chaos-").FullName;
        await using var postgres = new ThrowawayPostgres();
        var silos = new List<SiloProcess>();
        try
        {
            Console.WriteLine($"== chaos: {settings.Silos} silos on PostgreSQL; mix: {settings.Big} first snapshots of {settings.Files:N0}-file workspaces, " +
                $"{settings.Seed} seed tracks + diffs ({settings.SeedMib} MiB each), history on {settings.Probes} sessions; then SIGKILL one silo, calls for {settings.AfterKill} s");
            await postgres.StartAsync();
            var database = await postgres.CreateDatabaseAsync("chaos");
            var workRoot = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            var dataDir = Path.Combine(root, "data");
            // As a cluster runs: mutual TLS between silos and from the SDK.
            var clusterMode = new Dictionary<string, string>(ClusterCertificates.Ours.SiloSettings()) { ["ConnectionStrings__Postgres"] = database };
            for (var s = 0; s < settings.Silos; s++)
            {
                silos.Add(await BenchSilo.StartAsync(dataDir, workRoot, maxFileBytes: 1L << 30, clusterMode));
            }
            using var host = BenchSilo.ClusterClientHost(database, ClusterCertificates.Ours);
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IAgentSnapshotsClient>();

            var prepare = Stopwatch.StartNew();
            var probes = Enumerable.Range(0, settings.Probes).Select(i => SmallWorkspace.Create(workRoot, $"probe{i:D3}", i)).ToArray();
            var acknowledged = probes.Select(_ => new List<string>()).ToArray();
            for (var i = 0; i < probes.Length; i++)
            {
                acknowledged[i].Add((await client.TrackAsync(ProbeSession(i), probes[i], "start")).Hash);
            }
            var big = Enumerable.Range(0, settings.Big).Select(b => GenerateTree(Path.Combine(workRoot, $"big{b}"), settings.Files, b)).ToArray();
            var (big1, big2, small) = (settings.SeedMib * 4 / 7.0, settings.SeedMib * 3 / 7.0, 512.0 * settings.SeedMib / 224);
            var seeds = Enumerable.Range(0, settings.Seed).Select(s => Directory.CreateDirectory(Path.Combine(workRoot, $"seed{s}")).FullName).ToArray();
            var seedFirst = new string[seeds.Length];
            for (var s = 0; s < seeds.Length; s++)
            {
                Scenario.WriteSeedTurn(seeds[s], 1, big1, big2, small);
                seedFirst[s] = (await client.TrackAsync(SeedSession(s), seeds[s], "turn 1")).Hash;
                Scenario.WriteSeedTurn(seeds[s], 2, big1, big2, small);
            }
            Console.WriteLine($"   prepared in {prepare.Elapsed.TotalSeconds:F0} s (workspaces generated, probe and seed sessions bound); load average {LoadAverage.Now()}");

            // The mix.
            var membership = new MembershipWatch(database);
            var recorder = new LatencyRecorder();
            using var mixDone = new CancellationTokenSource();
            var watching = membership.RunAsync(mixDone.Token);
            var mix = Stopwatch.StartNew();
            var work = big.Select((dir, b) => Timed(recorder, "big-first", () => client.TrackAsync(BigSession(b), dir, "first")))
                .Concat(seeds.Select((dir, s) => SeedStep(client, recorder, s, dir, seedFirst[s])))
                .ToArray();
            var historyLoops = Enumerable.Range(0, Math.Min(4, settings.Probes)).Select(w => Task.Run(async () =>
            {
                for (var n = w; !mixDone.IsCancellationRequested; n += 4)
                {
                    var i = n % settings.Probes;
                    try
                    {
                        await recorder.Time("history", () => client.HistoryAsync(ProbeSession(i)));
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        recorder.Error($"history of {ProbeSession(i)} during the mix: {e.GetType().Name}: {e.Message}");
                    }
                    await Task.Delay(20);
                }
            })).ToArray();
            var loadDuringMix = new List<string>();
            while (!Task.WhenAll(work).IsCompleted)
            {
                await Task.WhenAny(Task.WhenAll(work), Task.Delay(TimeSpan.FromSeconds(10)));
                loadDuringMix.Add(LoadAverage.LastMinute());
            }
            await mixDone.CancelAsync();
            await Task.WhenAll(historyLoops);
            await watching;
            mix.Stop();
            var deadInMix = membership.DeadSeen;
            Console.WriteLine($"   mix: {mix.Elapsed.TotalSeconds:F0} s; load average (1 min) every 10 s: {string.Join(' ', loadDuringMix)}");
            recorder.PrintLatencies();
            Console.WriteLine($"   membership during the mix: {membership.Describe()}");
            var historyP99 = recorder.Percentile("history", 0.99);
            var mixErrors = recorder.ErrorCount;
            recorder.PrintErrors();

            // The kill.
            var victim = silos[^1];
            var calls = new KillPhase(client, probes, acknowledged);
            using var stop = new CancellationTokenSource();
            var killWatch = new MembershipWatch(database);
            using var killWatchDone = new CancellationTokenSource();
            var watchingKill = killWatch.RunAsync(killWatchDone.Token);
            var callers = Enumerable.Range(0, Math.Min(4, settings.Probes)).Select(w => calls.RunAsync(w, 4, stop.Token)).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(5));
            var killedAt = DateTime.UtcNow;
            await victim.KillAsync();
            Console.WriteLine($"   SIGKILLed silo pid {victim.ProcessId}; calls continue for {settings.AfterKill} s (each retried for up to {CallDeadline.TotalSeconds:F0} s); load average {LoadAverage.Now()}");
            await Task.Delay(TimeSpan.FromSeconds(settings.AfterKill));
            await stop.CancelAsync();
            await Task.WhenAll(callers);
            await killWatchDone.CancelAsync();
            await watchingKill;
            var declared = killWatch.FirstDeadAt is { } at ? $"declared dead in the table {(at - killedAt).TotalSeconds:F1} s after the kill" : "not declared dead while calls ran";
            calls.Print(declared);
            var lost = calls.Lost + await calls.VerifyHistoriesAsync();

            var met = deadInMix.Count == 0 && historyP99 <= HistoryP99TargetMs && lost == 0 && mixErrors == 0;
            Console.WriteLine($"   {(deadInMix.Count == 0 ? "met " : "MISS")} no silo declared dead during the mix ({(deadInMix.Count == 0 ? "none" : string.Join(", ", deadInMix))})");
            Console.WriteLine($"   {(historyP99 <= HistoryP99TargetMs ? "met " : "MISS")} history p99 <= {HistoryP99TargetMs:F0} ms during the mix ({historyP99:F1} ms)");
            Console.WriteLine($"   {(lost == 0 ? "met " : "MISS")} zero calls lost after the SIGKILL ({lost})");
            await host.StopAsync();
            return met ? 0 : 1;
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A track of the seed workspace's second turn, then its summary against the first.</summary>
    private static async Task SeedStep(IAgentSnapshotsClient client, LatencyRecorder recorder, int s, string dir, string first)
    {
        var second = await Timed(recorder, "seed-track", () => client.TrackAsync(SeedSession(s), dir, "turn 2"));
        if (second is not null)
        {
            await Timed(recorder, "seed-diff", () => client.DiffAsync(SeedSession(s), first, second.Hash));
        }
    }

    private static async Task<T?> Timed<T>(LatencyRecorder recorder, string kind, Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await recorder.Time(kind, call);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            recorder.Error($"{kind}: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    /// <summary>A workspace of <paramref name="files"/> small source-like files, 500 to a directory.</summary>
    private static string GenerateTree(string dir, int files, int seed)
    {
        for (var f = 0; f < files; f++)
        {
            var sub = Path.Combine(dir, $"pkg{f / 500:D4}");
            if (f % 500 == 0) Directory.CreateDirectory(sub);
            File.WriteAllText(Path.Combine(sub, $"m{f % 500:D3}.ts"), $"// tree {seed} module {f}\nexport const value{f} = {f};\n");
        }
        return dir;
    }

    private static string ProbeSession(int i) => $"chaos-probe-{i:D3}";

    private static string BigSession(int b) => $"chaos-big-{b}";

    private static string SeedSession(int s) => $"chaos-seed-{s}";

    /// <summary>Reads the membership table every half second: which silos were ever marked dead, and when first.</summary>
    private sealed class MembershipWatch(string connectionString)
    {
        private readonly HashSet<string> _dead = [];
        private readonly HashSet<string> _suspected = [];
        private int _reads;

        public IReadOnlyCollection<string> DeadSeen => _dead;

        public DateTime? FirstDeadAt { get; private set; }

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(connectionString);
                    await connection.OpenAsync(stop);
                    await using var command = new NpgsqlCommand("SELECT address, port, generation, status, suspecttimes FROM agentsnapshots_membership", connection);
                    await using var reader = await command.ExecuteReaderAsync(stop);
                    while (await reader.ReadAsync(stop))
                    {
                        var silo = $"{reader.GetString(0)}:{reader.GetInt32(1)}@{reader.GetInt32(2)}";
                        if (reader.GetInt32(3) == Dead && _dead.Add(silo)) FirstDeadAt ??= DateTime.UtcNow;
                        if (!reader.IsDBNull(4) && reader.GetString(4).Length > 0) _suspected.Add(silo);
                    }
                    _reads++;
                    await Task.Delay(500, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
        }

        public string Describe() =>
            $"{_reads} reads; dead: {(_dead.Count == 0 ? "none" : string.Join(", ", _dead))}; suspected (a death vote cast): {(_suspected.Count == 0 ? "none" : string.Join(", ", _suspected))}";
    }

    /// <summary>
    /// Calls during and after the kill: each caller alternates history and track (a one-line edit) on its share of
    /// the probe sessions; a failed or timed-out attempt is retried until the call succeeds or its deadline passes
    /// (then it is lost). Acknowledged tracks must all be in their session's history at the end.
    /// </summary>
    private sealed class KillPhase(IAgentSnapshotsClient client, string[] probes, List<string>[] acknowledged)
    {
        private readonly LatencyRecorder _recorder = new();
        private int _calls;
        private int _retried;
        private int _lost;
        private readonly List<string> _failures = [];

        public int Lost => _lost;

        public async Task RunAsync(int worker, int workers, CancellationToken stop)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                for (var i = worker; i < probes.Length && !stop.IsCancellationRequested; i += workers)
                {
                    var session = ProbeSession(i);
                    if (n % 2 == 0)
                    {
                        await Call("history", attempt => client.HistoryAsync(session, attempt));
                    }
                    else
                    {
                        await File.AppendAllTextAsync(Path.Combine(probes[i], "f0.txt"), $"kill phase {n}\n", CancellationToken.None);
                        var tracked = await Call("track", attempt => client.TrackAsync(session, cancellationToken: attempt));
                        if (tracked is not null)
                        {
                            lock (acknowledged[i]) acknowledged[i].Add(tracked.Hash);
                        }
                    }
                }
            }
        }

        /// <summary>Every acknowledged track of every probe session is in its history (one retried read each): the count missing.</summary>
        public async Task<int> VerifyHistoriesAsync()
        {
            var missing = 0;
            for (var i = 0; i < probes.Length; i++)
            {
                var history = await Call("history", attempt => client.HistoryAsync(ProbeSession(i), attempt));
                var listed = history?.Snapshots.Select(s => s.Hash).ToHashSet(StringComparer.Ordinal) ?? [];
                var absent = acknowledged[i].Where(h => !listed.Contains(h)).ToList();
                if (absent.Count > 0)
                {
                    missing += absent.Count;
                    _failures.Add($"{ProbeSession(i)}: {absent.Count} acknowledged tracks missing from its history");
                }
            }
            Console.WriteLine($"   histories checked: {(missing == 0 ? "every acknowledged track listed" : $"{missing} acknowledged tracks missing")}");
            foreach (var failure in _failures.Take(10)) Console.WriteLine("     " + failure);
            return missing;
        }

        public void Print(string declared)
        {
            Console.WriteLine($"   after the kill: {_calls} calls, {_retried} attempts failed and were retried, {_lost} calls lost; victim {declared}");
            _recorder.PrintLatencies();
        }

        private async Task<T?> Call<T>(string kind, Func<CancellationToken, Task<T>> call)
            where T : class
        {
            Interlocked.Increment(ref _calls);
            var started = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var attempt = new CancellationTokenSource(AttemptTimeout);
                    var result = await call(attempt.Token);
                    _recorder.Add(kind, started.Elapsed.TotalMilliseconds);
                    return result;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (started.Elapsed >= CallDeadline)
                    {
                        Interlocked.Increment(ref _lost);
                        lock (_failures) _failures.Add($"{kind} lost after {started.Elapsed.TotalSeconds:F0} s: {e.GetType().Name}: {e.Message}");
                        return null;
                    }
                    Interlocked.Increment(ref _retried);
                    await Task.Delay(250, CancellationToken.None);
                }
            }
        }
    }
}
