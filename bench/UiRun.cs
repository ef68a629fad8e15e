using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSnapshots.Tests.Processes;
using Microsoft.Playwright;

namespace AgentSnapshots.Bench;

/// <summary>
/// The ui scenario (not a test): the web UI of one real silo process in headless Chromium (Debian's, driven by
/// Playwright, as the UI tests run it), measured by the browser itself. A session of N steps tracked through the HTTP
/// API and a step of M changed files; each page loaded cold (a fresh browser context, logged in) several times:
/// first contentful paint from the browser's paint timing, bytes transferred from its resource timing; then, with the
/// timeline open, steps tracked one by one and the time from the track's reply to the new row painted. Beside them:
/// the same browser's paint of the UI's smallest page (a heading and a paragraph), the floor of any page here.
/// Also the seed's step ("large is normal"): turn 1 then turn 2 of the seed scenario (every line of 224 MiB of
/// generated text changed), its step page loaded cold the same way, with the silo's resident memory around the loads.
/// Targets (issue 21): first contentful paint ≤ 1 s for each page; timeline ≤ 300 KiB transferred; new step ≤ 1 s.
/// <code>dotnet run -c Release --project bench -- ui [--steps 5000] [--files 1000] [--loads 5] [--live 10] [--seed-mib 224]</code>
/// </summary>
internal static class UiRun
{
    private const double PaintTargetMs = 1000;
    private const double WeightTargetKiB = 300;
    private const double LiveTargetMs = 1000;

    /// <summary>The seed scenario's size: 128 MiB + 96 MiB of generated text and a 512 KiB file, scaled by --seed-mib.</summary>
    private const int FullSeedMib = 224;

    private sealed record Settings(int Steps, int Files, int Loads, int Live, int SeedMib);

    /// <summary>One cold load of a page, as the browser timed it.</summary>
    private sealed record Load(double FirstPaintMs, double ServerMs, long Transferred, long Decoded, int Resources);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        Settings settings;
        try
        {
            var (seedMib, rest) = TakeSeedMib(args);
            var o = WholeNumberOptions.Parse(rest, new Dictionary<string, int> { ["--steps"] = 5000, ["--files"] = 1000, ["--loads"] = 5, ["--live"] = 10 });
            settings = new Settings(o["--steps"], o["--files"], o["--loads"], o["--live"], seedMib);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync("ui: " + e.Message + " (usage: ui [--steps N] [--files M] [--loads L] [--live K] [--seed-mib S, 0 = no seed step])");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("agentsnapshots-ui-").FullName;
        try
        {
            var (silo, workRoot) = await BenchSilo.StartWithHttpAsync(root);
            await using var _ = silo;
            using var http = new HttpClient { BaseAddress = silo.HttpAddress, Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", silo.LocalKey);
            await HttpRun.WaitReadyAsync(http);
            Console.WriteLine($"== ui: web UI in headless Chromium ({Chromium.Executable()}): a session of {settings.Steps:N0} steps, a step of {settings.Files:N0} files; {settings.Loads} cold loads per page, {settings.Live} live steps{(settings.SeedMib > 0 ? $", the seed's step ({settings.SeedMib} MiB, every line changed)" : "")}");

            var longDir = SmallWorkspace.Create(workRoot, "long", 0);
            var tracking = Stopwatch.StartNew();
            for (var n = 0; n < settings.Steps; n++)
            {
                await File.AppendAllTextAsync(Path.Combine(longDir, $"f{n % SmallWorkspace.Files}.txt"), $"step {n}\n");
                await TrackAsync(http, "ui-long", n == 0 ? longDir : null, $"tool: Edit f{n % SmallWorkspace.Files}.txt ({n + 1})");
            }
            Console.WriteLine($"   tracked {settings.Steps:N0} steps through the HTTP API in {tracking.Elapsed.TotalSeconds:F1} s");
            await WaitForStatsAsync(http, "ui-long");

            var wideDir = Directory.CreateDirectory(Path.Combine(workRoot, "wide")).FullName;
            for (var f = 0; f < settings.Files; f++)
            {
                var file = Path.Combine(wideDir, $"src/m{f / 100:D2}/file{f:D4}.ts");
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllLinesAsync(file, Enumerable.Range(0, 30).Select(n => $"export const v{n} = {n}; // file {f}"));
            }
            await TrackAsync(http, "ui-wide", wideDir, "prompt: start");
            foreach (var file in Directory.EnumerateFiles(wideDir, "*.ts", SearchOption.AllDirectories))
            {
                var lines = await File.ReadAllLinesAsync(file);
                lines[10] = lines[10].Replace("= 10;", "= 11; // edited", StringComparison.Ordinal);
                await File.WriteAllLinesAsync(file, lines);
            }
            var wideStep = await TrackAsync(http, "ui-wide", null, "tool: rename everywhere");
            var rssBeforeSeed = ProcessMemory.ResidentBytes(silo.ProcessId);
            var seedStep = settings.SeedMib > 0 ? await TrackSeedAsync(http, workRoot, settings.SeedMib) : null;

            var (playwright, browser) = await Chromium.LaunchAsync();
            using var __ = playwright;
            await using var ___ = browser;
            var login = await LoginStateAsync(browser, http, silo.HttpAddress);

            var floor = await LoadsAsync(browser, login, silo.HttpAddress, "/ui/login-needed", settings.Loads, settled: null);
            // The timeline's script fetches its newest rows on the live stream's first event: part of its weight.
            var timeline = await LoadsAsync(browser, login, silo.HttpAddress, "/ui/sessions/ui-long", settings.Loads, settled: RowsFetched);
            var step = await LoadsAsync(browser, login, silo.HttpAddress, $"/ui/sessions/ui-wide/steps/{wideStep}", settings.Loads, settled: null);
            var seed = seedStep is null ? null : await SeedLoadsAsync(browser, login, silo, seedStep, settings.Loads, rssBeforeSeed);
            var live = await LiveAsync(browser, login, silo.HttpAddress, http, longDir, settings);

            Print("smallest page (floor)", floor);
            Print($"timeline, {settings.Steps:N0} steps", timeline);
            Print($"step, {settings.Files:N0} files", step);
            if (seed is not null)
            {
                Print($"seed's step, {settings.SeedMib} MiB changed", seed.Loads);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   seed's step, its first load (the summary from the cache its stats filled): first contentful paint {seed.First.FirstPaintMs:F0} ms, server {seed.First.ServerMs:F0} ms"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   silo RSS around the seed's step loads: {BenchRun.Mib(seed.RssBefore)} before, peak {BenchRun.Over(seed.RssPeak, seed.RssBefore)} during them, {(seed.RssAfter - seed.RssBefore) / (double)BenchRun.MiB:+0;-0} MiB after ({BenchRun.Mib(seed.RssIdle)} before the seed's turns were tracked)"));
            }
            var livePercentiles = live.Order().ToArray();
            Console.WriteLine($"   live: new step painted after its track returned: median {Median(live):F0} ms, worst {livePercentiles[^1]:F0} ms of {live.Count}");

            var timelinePaint = Median(timeline.Select(l => l.FirstPaintMs));
            var stepPaint = Median(step.Select(l => l.FirstPaintMs));
            var weightKiB = timeline.Max(l => l.Transferred) / 1024.0;
            var liveMs = Median(live);
            var seedPaint = seed is null ? 0 : Median(seed.Loads.Select(l => l.FirstPaintMs));
            Console.WriteLine($"   {Met(timelinePaint <= PaintTargetMs)} timeline of {settings.Steps:N0} steps: first contentful paint <= {PaintTargetMs:F0} ms (median {timelinePaint:F0} ms, worst {timeline.Max(l => l.FirstPaintMs):F0} ms; floor {Median(floor.Select(l => l.FirstPaintMs)):F0} ms)");
            Console.WriteLine($"   {Met(stepPaint <= PaintTargetMs)} step of {settings.Files:N0} files: first contentful paint <= {PaintTargetMs:F0} ms (median {stepPaint:F0} ms, worst {step.Max(l => l.FirstPaintMs):F0} ms)");
            if (seed is not null)
            {
                Console.WriteLine($"   {Met(seedPaint <= PaintTargetMs)} seed's step ({settings.SeedMib} MiB changed): first contentful paint <= {PaintTargetMs:F0} ms (median {seedPaint:F0} ms, worst {seed.Loads.Max(l => l.FirstPaintMs):F0} ms; first load {seed.First.FirstPaintMs:F0} ms)");
            }
            Console.WriteLine($"   {Met(weightKiB <= WeightTargetKiB)} timeline page weight <= {WeightTargetKiB:F0} KiB transferred ({weightKiB:F1} KiB)");
            Console.WriteLine($"   {Met(liveMs <= LiveTargetMs)} new step shown in an open timeline <= {LiveTargetMs:F0} ms after its track returns (median {liveMs:F0} ms, worst {livePercentiles[^1]:F0} ms)");
            return timelinePaint <= PaintTargetMs && stepPaint <= PaintTargetMs && seedPaint <= PaintTargetMs && weightKiB <= WeightTargetKiB && liveMs <= LiveTargetMs ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Loads of the seed's step page: the first one after its track apart, and the silo's resident memory around them.</summary>
    private sealed record SeedLoads(Load First, List<Load> Loads, long RssIdle, long RssBefore, long RssPeak, long RssAfter);

    /// <summary>--seed-mib S (0 allowed: no seed step), taken out of the arguments; the rest are whole-number options.</summary>
    private static (int SeedMib, List<string> Others) TakeSeedMib(IReadOnlyList<string> args)
    {
        var rest = args.ToList();
        var at = rest.IndexOf("--seed-mib");
        if (at < 0)
        {
            return (FullSeedMib, rest);
        }
        var mib = at + 1 < rest.Count && int.TryParse(rest[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException("--seed-mib needs a whole number of MiB (0 skips the seed's step)");
        rest.RemoveRange(at, 2);
        return (mib, rest);
    }

    /// <summary>
    /// Tracks turns 1 and 2 of the seed scenario (Scenario.WriteSeedTurn, scaled to <paramref name="mib"/>) in a
    /// workspace of their own and returns turn 2's hash once its step has stats.
    /// </summary>
    private static async Task<string> TrackSeedAsync(HttpClient http, string workRoot, int mib)
    {
        var dir = Directory.CreateDirectory(Path.Combine(workRoot, "seed")).FullName;
        var scale = mib / (double)FullSeedMib;
        string? hash = null;
        var tracks = new List<double>();
        var clock = new Stopwatch();
        for (var turn = 1; turn <= 2; turn++)
        {
            Scenario.WriteSeedTurn(dir, turn, 128 * scale, 96 * scale, 512 * scale);
            clock.Restart();
            hash = await TrackAsync(http, "ui-seed", turn == 1 ? dir : null, $"turn {turn}");
            tracks.Add(clock.Elapsed.TotalSeconds);
        }
        // The silo summarises the step in the background after the track returns (its stats, and the summary cache).
        var step = await WaitForStatsAsync(http, "ui-seed");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   seed's step ({mib} MiB): tracked turn 1 in {tracks[0]:F1} s, turn 2 in {tracks[1]:F1} s through the HTTP API; its stats ({step.GetProperty("changed").GetInt32()} files, +{step.GetProperty("additions").GetInt64():N0} -{step.GetProperty("deletions").GetInt64():N0}, exact {step.GetProperty("exact").GetBoolean()}) {clock.Elapsed.TotalSeconds - tracks[1]:F1} s after turn 2's track returned"));
        return hash!;
    }

    private static async Task<SeedLoads> SeedLoadsAsync(IBrowser browser, string login, SiloProcess silo, string hash, int loads, long rssBeforeSeed)
    {
        var pid = silo.ProcessId;
        var before = ProcessMemory.ResidentBytes(pid);
        ProcessMemory.ResetPeak(pid);
        // The first load is kept apart, not dropped: the step page is compiled already (the 1,000-file step), so it
        // is the seed's step as first opened from the timeline.
        var all = await LoadsAsync(browser, login, silo.HttpAddress, $"/ui/sessions/ui-seed/steps/{hash}", loads, settled: null, keepFirst: true);
        var peak = ProcessMemory.PeakBytes(pid);
        return new SeedLoads(all[0], all[1..], rssBeforeSeed, before, peak, ProcessMemory.ResidentBytes(pid));
    }

    private const string RowsFetched = "() => performance.getEntriesByType('resource').some(e => e.name.includes('/rows'))";

    private static async Task<string> TrackAsync(HttpClient http, string session, string? dir, string label)
    {
        using var reply = await http.PostAsJsonAsync($"/v1/sessions/{session}/snapshots", new { dir, label });
        var body = await reply.Content.ReadAsStringAsync();
        return reply.IsSuccessStatusCode
            ? JsonDocument.Parse(body).RootElement.GetProperty("hash").GetString()!
            : throw new InvalidOperationException($"track {session}: {(int)reply.StatusCode} {body}");
    }

    /// <summary>Waits until the session's newest step has its stats (the timeline then shows numbers, not "computing…") and returns them.</summary>
    private static async Task<JsonElement> WaitForStatsAsync(HttpClient http, string session)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(120))
        {
            using var history = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/v1/sessions/{session}/snapshots", UriKind.Relative)));
            var snapshots = history.RootElement.GetProperty("snapshots");
            if (snapshots[snapshots.GetArrayLength() - 1].TryGetProperty("step", out var step) && step.ValueKind == JsonValueKind.Object)
            {
                return step.Clone();
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The newest step of {session} had no stats after 120 s.");
    }

    /// <summary>Logs in once through a login link (as a person would) and returns the browser's state: its login cookie.</summary>
    private static async Task<string> LoginStateAsync(IBrowser browser, HttpClient http, Uri address)
    {
        using var reply = await http.PostAsJsonAsync("/v1/login-links", new { next = "/ui/login-needed" });
        var url = JsonDocument.Parse(await reply.Content.ReadAsStringAsync()).RootElement.GetProperty("url").GetString()!;
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        return await context.StorageStateAsync();
    }

    /// <summary>Loads <paramref name="path"/> <paramref name="loads"/> times, each in a fresh context (no cache) with the login cookie.</summary>
    /// <param name="keepFirst">Whether the result starts with the extra first load (else left out of the figures).</param>
    private static async Task<List<Load>> LoadsAsync(IBrowser browser, string login, Uri address, string path, int loads, string? settled, bool keepFirst = false)
    {
        var result = new List<Load>();
        // One load first, outside the figures: the silo's first rendering of a page compiles it.
        for (var i = -1; i < loads; i++)
        {
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString(), StorageState = login });
            var page = await context.NewPageAsync();
            var response = await page.GotoAsync(path);
            if (response is not { Ok: true })
            {
                throw new InvalidOperationException($"{path}: {response?.Status} {page.Url}");
            }
            await page.WaitForFunctionAsync("() => performance.getEntriesByName('first-contentful-paint').length > 0");
            if (settled is not null)
            {
                await page.WaitForFunctionAsync(settled);
            }
            var load = await page.EvaluateAsync<JsonElement>("""
                () => {
                  const nav = performance.getEntriesByType('navigation')[0];
                  const resources = performance.getEntriesByType('resource');
                  return {
                    paint: performance.getEntriesByName('first-contentful-paint')[0].startTime,
                    server: nav.responseStart - nav.requestStart,
                    transferred: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
                    decoded: nav.decodedBodySize + resources.reduce((s, r) => s + r.decodedBodySize, 0),
                    resources: resources.length,
                  };
                }
                """);
            if (i >= 0 || keepFirst)
            {
                result.Add(new Load(load.GetProperty("paint").GetDouble(), load.GetProperty("server").GetDouble(),
                    (long)load.GetProperty("transferred").GetDouble(), (long)load.GetProperty("decoded").GetDouble(), load.GetProperty("resources").GetInt32()));
            }
        }
        return result;
    }

    /// <summary>
    /// With the timeline open, tracks steps one by one; for each, the time from the track's reply to the first frame
    /// painted after its row entered the page (the page's clock and ours are the same machine's).
    /// </summary>
    private static async Task<List<double>> LiveAsync(IBrowser browser, string login, Uri address, HttpClient http, string dir, Settings settings)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString(), StorageState = login });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/sessions/ui-long");
        await page.WaitForFunctionAsync(RowsFetched);
        var latencies = new List<double>();
        for (var i = 0; i < settings.Live; i++)
        {
            var row = $"snap-{settings.Steps + i + 1}";
            await page.EvaluateAsync("""
                (id) => {
                  window.appeared = new Promise((resolve) => {
                    const painted = () => requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
                    if (document.getElementById(id)) return painted();
                    const observer = new MutationObserver(() => {
                      if (document.getElementById(id)) { observer.disconnect(); painted(); }
                    });
                    observer.observe(document.body, { childList: true, subtree: true });
                    setTimeout(() => resolve(-1), 10000);
                  });
                }
                """, row);
            await File.AppendAllTextAsync(Path.Combine(dir, "f0.txt"), $"live step {i}\n");
            await TrackAsync(http, "ui-long", null, $"tool: live edit {i + 1}");
            var returned = (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;
            var appeared = await page.EvaluateAsync<double>("() => window.appeared");
            if (appeared < 0)
            {
                throw new TimeoutException($"Row {row} did not appear in the open timeline within 10 s of its track.");
            }
            latencies.Add(Math.Max(0, appeared - returned));
            await Task.Delay(300);
        }
        return latencies;
    }

    private static void Print(string name, List<Load> loads) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {name}: first contentful paint median {Median(loads.Select(l => l.FirstPaintMs)):F0} ms (worst {loads.Max(l => l.FirstPaintMs):F0}), server {Median(loads.Select(l => l.ServerMs)):F0} ms, {loads[^1].Transferred / 1024.0:F1} KiB transferred ({loads[^1].Decoded / 1024.0:F1} KiB decoded, {loads[^1].Resources} requests besides the page)"));

    private static double Median(IEnumerable<double> values) => LatencyRecorder.Percentile([.. values.Order()], 0.5);

    private static string Met(bool met) => met ? "met " : "MISS";
}
