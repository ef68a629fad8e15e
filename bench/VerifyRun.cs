using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Bench;

/// <summary>
/// What the watcher's self-check costs: the bigtree workspace tracked through a silo process, TRACKS watched tracks
/// of EDITS edits each at Snapshots:Watch:VerifyEvery = EVERY (idle verification off, so only the count triggers it).
/// Prints the silo process's CPU time (user + system, from /proc) per track over the run, and the CPU time of each
/// verification (its thread's own, as the silo logs it): their share of the silo's CPU. On a shared machine a thread's
/// CPU time holds where a comparison of two runs' totals drowns in the neighbours' noise. Target: at most 5%.
/// <code>dotnet run -c Release --project bench -- verify [--files 100k] [--tracks 1000] [--edits 10] [--every 1000]</code>
/// </summary>
internal static class VerifyRun
{
    private sealed record Settings(int Files, int Tracks, int Edits, int Every);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var settings = Parse(args);
        Console.WriteLine($"AgentSnapshots verify benchmark, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {LoadAverage.Now()}");
        var root = Directory.CreateTempSubdirectory("agentsnapshots-verify-").FullName;
        try
        {
            var work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            var tracked = BigTreeRun.Generate(work, settings.Files);
            Console.WriteLine($"== verify: bigtree {settings.Files:N0} files (+{settings.Files / 2:N0} ignored), {settings.Tracks:N0} watched tracks of {settings.Edits} edits each, VerifyEvery {settings.Every}");
            var siloSettings = new Dictionary<string, string>
            {
                ["Snapshots__Watch__Enabled"] = "true",
                ["Snapshots__Watch__VerifyEvery"] = settings.Every.ToString(CultureInfo.InvariantCulture),
                ["Snapshots__Watch__VerifyAfterIdle"] = "00:00:00",
                ["Snapshots__MaxFilesPerWorkspace"] = (2L * tracked.Count + 1_000).ToString(CultureInfo.InvariantCulture),
                // Each verification logs its wall and CPU time at Debug.
                ["Logging__LogLevel__AgentSnapshots.WorkspaceGrain"] = "Debug",
            };
            await using var silo = await BenchSilo.StartAsync(Path.Combine(root, "data"), root, maxFileBytes: 1L << 30, siloSettings);
            using var host = BenchSilo.ClientHost(silo.GatewayPort);
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IAgentSnapshotsClient>();
            await client.TrackAsync("verify", work, "first");
            // One more track lets files written in the last two seconds before the first one (racy then) be trusted.
            await client.TrackAsync("verify");

            var random = new Random(settings.Files);
            var cpuBefore = SiloCpu(silo.ProcessId);
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < settings.Tracks; i++)
            {
                BigTreeRun.Edit(work, tracked, settings.Edits, random);
                await client.TrackAsync("verify");
            }
            // A verification started by the last tracks finishes (it walks beside them, not in them).
            await Task.Delay(TimeSpan.FromSeconds(3));
            wall.Stop();
            var cpu = SiloCpu(silo.ProcessId) - cpuBefore;
            var verifications = silo.Output.Split('\n').Where(l => l.Contains("Verified the file watcher's view", StringComparison.Ordinal)).ToList();
            await host.StopAsync();

            var verifyCpu = TimeSpan.FromMilliseconds(verifications.Sum(CpuMs));
            var share = verifyCpu.TotalSeconds / Math.Max(cpu.TotalSeconds, 1e-9);
            Console.WriteLine($"   silo CPU {cpu.TotalMilliseconds / settings.Tracks:F2} ms per track ({cpu.TotalSeconds:F2} s in all, {wall.Elapsed.TotalSeconds:F1} s wall, load average {LoadAverage.Now()})");
            foreach (var line in verifications) Console.WriteLine("   " + line[line.IndexOf("against", StringComparison.Ordinal)..].Trim());
            var met = verifications.Count > 0 && share <= 0.05;
            Console.WriteLine($"   {verifications.Count} verifications took {verifyCpu.TotalMilliseconds:F0} ms CPU: {share * 100:F2}% of the silo's CPU (target <= 5%, at least one run): {(met ? "met" : "NOT MET")}");
            return met ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The CPU milliseconds a "Verified ..." log line reports ("(N ms CPU)").</summary>
    private static long CpuMs(string line)
    {
        var end = line.LastIndexOf(" ms CPU)", StringComparison.Ordinal);
        var start = line.LastIndexOf('(', end) + 1;
        return long.Parse(line[start..end], CultureInfo.InvariantCulture);
    }

    /// <summary>The process's CPU time so far, user and system (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms).</summary>
    private static TimeSpan SiloCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private static Settings Parse(IReadOnlyList<string> args)
    {
        int files = 100_000, tracks = 1000, edits = 10, every = new AgentSnapshots.Engine.Foundation.WatchOptions().VerifyEvery;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--files" when i + 1 < args.Count:
                    files = BigTreeRun.ParseSize(args[++i]);
                    break;
                case "--tracks" when i + 1 < args.Count:
                    tracks = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--edits" when i + 1 < args.Count:
                    edits = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--every" when i + 1 < args.Count:
                    every = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown verify argument '{args[i]}'; use --files 100k --tracks 1000 --edits 10 --every 1000");
            }
        }
        return new Settings(files, tracks, edits, every);
    }
}
