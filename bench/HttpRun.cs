using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

using AgentSnapshots.Tests.Processes;

namespace AgentSnapshots.Bench;

/// <summary>
/// The http scenario (not a test): N sessions, each on its own small workspace, bind (first track), then step after
/// step edit a file, track and diff the new snapshot against the previous one through the HTTP API of one real silo
/// process, over keep-alive connections with bounded concurrency. Reports p50/p99 per operation, throughput and
/// errors against the targets (track p50 ≤ 5 ms and p99 ≤ 50 ms, diff p50 ≤ 5 ms, no error), and beside them the
/// CLI's time per call on the same silo (a process and an HTTP request per call; the cli scenario times it closer).
/// <code>dotnet run -c Release --project bench -- http [--sessions 1000] [--steps 3] [--concurrency 8]</code>
/// </summary>
internal static class HttpRun
{
    private const int CliCalls = 5;

    private sealed record Settings(int Sessions, int Steps, int Concurrency);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync("http: " + e.Message + " (usage: http [--sessions N] [--steps S] [--concurrency C])");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("agentsnapshots-http-").FullName;
        try
        {
            var (silo, workRoot) = await BenchSilo.StartWithHttpAsync(root);
            await using var _ = silo;
            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = settings.Concurrency,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            })
            {
                BaseAddress = silo.HttpAddress,
                Timeout = TimeSpan.FromMinutes(5),
            };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", silo.LocalKey);
            await WaitReadyAsync(http);
            var recorder = new LatencyRecorder();

            Console.WriteLine($"== http: {settings.Sessions} sessions (own workspace, {SmallWorkspace.Files} small files each), {settings.Concurrency} requests at once over keep-alive connections, {settings.Steps} steps each");
            var workspaces = Enumerable.Range(0, settings.Sessions).Select(i => SmallWorkspace.Create(workRoot, $"ws{i:D4}", i)).ToArray();
            var lastHash = new string?[settings.Sessions];
            // Warm the code paths (JIT, first activations) outside the figures.
            var warm = SmallWorkspace.Create(workRoot, "warm", -1);
            var warmHash = (await Call<TrackResult>(http, HttpMethod.Post, "/v1/sessions/warm/snapshots", new { dir = warm })).Hash;
            await Call<DiffSummary>(http, HttpMethod.Get, $"/v1/sessions/warm/diff?from={warmHash}", null);

            var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency };
            var bind = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, settings.Sessions), parallel, async (i, _) =>
            {
                try
                {
                    lastHash[i] = (await recorder.Time("bind", () => Call<TrackResult>(http, HttpMethod.Post, $"/v1/sessions/{SessionId(i)}/snapshots", new { dir = workspaces[i], label = "start" }))).Hash;
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException)
                {
                    recorder.Error($"bind {SessionId(i)}: {e.GetType().Name}: {e.Message}");
                }
            });
            Console.WriteLine($"   bound {settings.Sessions} sessions (first track: a new store each) in {bind.Elapsed.TotalSeconds:F1} s");

            var cpuBefore = ProcessCpu.Used(silo.ProcessId);
            var run = Stopwatch.StartNew();
            for (var step = 0; step < settings.Steps; step++)
            {
                var turn = step;
                await Parallel.ForEachAsync(Enumerable.Range(0, settings.Sessions), parallel, async (i, _) => await Step(http, recorder, i, workspaces[i], lastHash, turn));
            }
            run.Stop();
            var cpu = ProcessCpu.Used(silo.ProcessId) - cpuBefore;

            var latencies = recorder.Snapshot();
            var requests = latencies.Where(p => p.Key != "bind").Sum(p => p.Value.Length);
            Console.WriteLine($"   {requests:N0} requests ({settings.Sessions * settings.Steps:N0} agent steps: track + diff) in {run.Elapsed.TotalSeconds:F1} s: {requests / run.Elapsed.TotalSeconds:F0} requests/s; load average {LoadAverage.Now()}");
            recorder.PrintLatencies();
            Console.WriteLine($"   {ProcessCpu.PerOperation(cpu, requests, run.Elapsed)}");

            var cli = await EnsureCliAsync()
                ? await CliPerCallAsync(silo, SmallWorkspace.Create(workRoot, "cli", -2))
                : (Track: double.NaN, Diff: double.NaN);
            if (!double.IsNaN(cli.Track))
            {
                Console.WriteLine($"   CLI on the same silo (a process and an HTTP request per call, median of {CliCalls}): track {cli.Track:F0} ms, diff {cli.Diff:F0} ms per call");
            }

            var trackP50 = recorder.Percentile("track", 0.50);
            var trackP99 = recorder.Percentile("track", 0.99);
            var diffP50 = recorder.Percentile("diff", 0.50);
            Console.WriteLine($"   {(trackP50 <= 5 ? "met " : "MISS")} track p50 <= 5 ms ({trackP50:F1} ms; CLI {cli.Track:F0} ms)");
            Console.WriteLine($"   {(trackP99 <= 50 ? "met " : "MISS")} track p99 <= 50 ms ({trackP99:F1} ms)");
            Console.WriteLine($"   {(diffP50 <= 5 ? "met " : "MISS")} diff p50 <= 5 ms ({diffP50:F1} ms; CLI {cli.Diff:F0} ms)");
            recorder.PrintErrors();
            return recorder.ErrorCount == 0 && trackP50 <= 5 && trackP99 <= 50 && diffP50 <= 5 ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>One agent step: append a line to a file, track, and diff the new snapshot against the previous one.</summary>
    private static async Task Step(HttpClient http, LatencyRecorder recorder, int i, string workspace, string?[] lastHash, int turn)
    {
        var session = SessionId(i);
        try
        {
            await File.AppendAllTextAsync(Path.Combine(workspace, $"f{turn % SmallWorkspace.Files}.txt"), $"turn {turn} of {session}\n");
            var tracked = await recorder.Time("track", () => Call<TrackResult>(http, HttpMethod.Post, $"/v1/sessions/{session}/snapshots", null));
            var previous = lastHash[i];
            lastHash[i] = tracked.Hash;
            if (previous is null)
            {
                return;
            }
            var diff = await recorder.Time("diff", () => Call<DiffSummary>(http, HttpMethod.Get, $"/v1/sessions/{session}/diff?from={previous}&to={tracked.Hash}", null));
            if (diff.FileCount != 1 || diff.Additions != 1 || diff.Deletions != 0)
            {
                recorder.Error($"diff of {session} turn {turn}: expected 1 file +1 -0, got {diff.FileCount} files +{diff.Additions} -{diff.Deletions}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException)
        {
            recorder.Error($"{session} turn {turn}: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>One request; a reply other than 200 is an error carrying the problem the service sent.</summary>
    private static async Task<T> Call<T>(HttpClient http, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return await response.Content.ReadFromJsonAsync<T>(ContractJson.Options) ?? throw new InvalidOperationException($"{method} {path}: empty reply");
    }

    internal static async Task WaitReadyAsync(HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("The silo's HTTP API was not ready within 60 s.");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Whether the CLI this run times is built in the bench's configuration; if not, builds it (the CLI's figure is
    /// of that build, never of another configuration's), or says in one line why it cannot and goes on without it.
    /// </summary>
    private static async Task<bool> EnsureCliAsync()
    {
        try
        {
            _ = CliProcess.Dll;
            return true;
        }
        catch (FileNotFoundException)
        {
            Console.WriteLine($"   building the CLI ({BuildOutput.Configuration}) to time it: dotnet build src/Cli -c {BuildOutput.Configuration}");
        }
        var build = await ProcessRunner.RunAsync("dotnet", ["build", "src/Cli", "-c", BuildOutput.Configuration, "--nologo", "-v", "q"], BuildOutput.RepositoryRoot, new Dictionary<string, string?>(), TimeSpan.FromMinutes(10));
        if (build.ExitCode == 0 && File.Exists(Path.Combine(BuildOutput.RepositoryRoot, "src", "Cli", "bin", BuildOutput.Configuration, BuildOutput.Framework, CliProcess.DllName)))
        {
            return true;
        }
        Console.WriteLine($"   CLI not timed: 'dotnet build src/Cli -c {BuildOutput.Configuration}' failed (exit {build.ExitCode}); run it to see why");
        return false;
    }

    /// <summary>The CLI's wall time per call (process start, the request), median of a few, on a small workspace.</summary>
    private static async Task<(double Track, double Diff)> CliPerCallAsync(SiloProcess silo, string workspace)
    {
        var tracks = new List<double>();
        var diffs = new List<double>();
        string? previous = null;
        for (var call = 0; call < CliCalls; call++)
        {
            await File.AppendAllTextAsync(Path.Combine(workspace, "f0.txt"), $"cli turn {call}\n");
            var (trackMs, trackOut) = await RunCliAsync(silo, "track", "--session", "http-cli", "--dir", workspace, "--json");
            tracks.Add(trackMs);
            var hash = JsonDocument.Parse(trackOut).RootElement.GetProperty("hash").GetString()!;
            if (previous is not null)
            {
                diffs.Add((await RunCliAsync(silo, "diff", "--session", "http-cli", "--from", previous, "--to", hash, "--json")).Milliseconds);
            }
            previous = hash;
        }
        return (LatencyRecorder.Percentile([.. tracks.Order()], 0.5), LatencyRecorder.Percentile([.. diffs.Order()], 0.5));
    }

    /// <summary>One CLI process, as an agent that shells out to it runs it: its wall time and its output.</summary>
    private static async Task<(double Milliseconds, string Stdout)> RunCliAsync(SiloProcess silo, params string[] args)
    {
        var sw = Stopwatch.StartNew();
        var run = await CliProcess.RunAsync(["--server", silo.CliServer, .. args], AppContext.BaseDirectory, silo.CliEnvironment);
        sw.Stop();
        return run.ExitCode == 0
            ? (sw.Elapsed.TotalMilliseconds, run.Stdout)
            : throw new InvalidOperationException($"CLI {string.Join(' ', args)} failed: {run}");
    }

    private static string SessionId(int i) => $"http-{i:D4}";

    private static Settings Parse(IReadOnlyList<string> args)
    {
        var o = WholeNumberOptions.Parse(args, new Dictionary<string, int> { ["--sessions"] = 1000, ["--steps"] = 3, ["--concurrency"] = 8 });
        return new Settings(o["--sessions"], o["--steps"], Math.Min(o["--concurrency"], o["--sessions"]));
    }
}
