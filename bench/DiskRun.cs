using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
using AgentSnapshots.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSnapshots.Bench;

/// <summary>
/// The disk scenario: a workspace's store after the service's collection beside <c>git repack -adf</c> of the same
/// snapshots in the same run (a copy of the store, so git packs exactly what we keep), the silo's peak memory while it
/// packs beside git's, the store's peak size on disk during the collection, and reads of packed snapshots (diff,
/// restore) beside the same reads on loose objects.
/// <code>dotnet run -c Release --project bench -- disk [append-log] [seed]</code>
/// </summary>
internal static class DiskRun
{
    private const long MiB = BenchRun.MiB;

    private static readonly Dictionary<string, string> SiloSettings = new()
    {
        // Collections only when asked, so each is measured; no summary cache, so a repeated diff is computed again.
        ["Snapshots__Retention__CollectEvery"] = "0",
        ["Snapshots__Summary__CacheBytes"] = "0",
    };

    private static readonly int[] CollectedAfter = [6, 20];

    /// <param name="AtStartOverIdle">The silo's resident memory when the collection started, over idle: what earlier tracks and reads left held.</param>
    private sealed record Collected(long LooseBytes, long StoreBytes, long PeakDiskBytes, long PeakOverIdle, long AtStartOverIdle, TimeSpan Wall, long GitBytes, Measured GitRepack);

    /// <param name="cases">"append-log", "seed" or both (none: both).</param>
    public static async Task<bool> RunAsync(IReadOnlyCollection<string> cases)
    {
        var checks = new List<(string Target, bool Met)>();
        if (cases.Count == 0 || cases.Contains("append-log")) await AppendLog(checks);
        if (cases.Count == 0 || cases.Contains("seed")) await SeedEighth(checks);
        Console.WriteLine("== disk: targets");
        foreach (var (target, met) in checks)
        {
            Console.WriteLine($"   {(met ? "met " : "MISS")} {target}");
        }
        return checks.All(c => c.Met);
    }

    private static async Task AppendLog(List<(string, bool)> checks)
    {
        var scenario = Scenario.All.Single(s => s.Name == "append-log");
        await InSilo("append-log", async (client, workspace, store, root, idle, pid) =>
        {
            Console.WriteLine($"== disk: {scenario.Description}, collected after turn 6 and after turn 20 (silo idle RSS {BenchRun.Mib(idle)})");
            var hashes = new List<string>();
            foreach (var upTo in CollectedAfter)
            {
                var tracking = Stopwatch.StartNew();
                while (hashes.Count < upTo)
                {
                    scenario.WriteTurn(workspace, hashes.Count + 1);
                    hashes.Add((await client.TrackAsync("disk", workspace, $"turn {hashes.Count + 1}")).Hash);
                }
                tracking.Stop();
                var onLoose = await TimeDiff(client, hashes[^2], hashes[^1]);
                var c = await Collect(client, store, root, idle, pid);
                var onPacks = await TimeDiff(client, hashes[^2], hashes[^1]);
                Print($"turn {upTo,2}", c, $"{upTo} turns tracked in {BenchRun.Secs(tracking.Elapsed)}");
                Console.WriteLine($"   diff of turns {upTo - 1} and {upTo}  packed {BenchRun.Secs(onPacks),9} | loose {BenchRun.Secs(onLoose),9}  ({BenchRun.Ratio(onPacks, onLoose)} x; not a target: the packed log is a skip-delta chain)");
                AddChecks(checks, $"append-log, {upTo} turns", c);
            }
        });
    }

    private static async Task SeedEighth(List<(string, bool)> checks)
    {
        var scenario = Scenario.Seed("seed-eighth", "seed scenario at 1/8: 16 MiB + 12 MiB + 64 KiB of generated text, every line changed per turn", 16, 12, 64);
        await InSilo("seed-eighth", async (client, workspace, store, root, idle, pid) =>
        {
            Console.WriteLine($"== disk: {scenario.Description}, 6 turns (silo idle RSS {BenchRun.Mib(idle)})");
            var hashes = new List<string>();
            for (var turn = 1; turn <= 6; turn++)
            {
                scenario.WriteTurn(workspace, turn);
                hashes.Add((await client.TrackAsync("disk", workspace, $"turn {turn}")).Hash);
            }
            var loose = await Reads(client, hashes);
            var c = await Collect(client, store, root, idle, pid);
            var packed = await Reads(client, hashes);
            Print("turn  6", c, "6 turns");
            AddChecks(checks, "seed 1/8, 6 turns", c);
            foreach (var (name, onLoose, onPacks) in new[]
            {
                ("diff of turns 1 and 2", loose.Diff12, packed.Diff12),
                ("diff of turns 5 and 6", loose.Diff56, packed.Diff56),
                ("restore of turn 5", loose.Restore5, packed.Restore5),
            })
            {
                Console.WriteLine($"   {name,-22} packed {BenchRun.Secs(onPacks),9} | loose {BenchRun.Secs(onLoose),9}  ({BenchRun.Ratio(onPacks, onLoose)} x)");
                checks.Add(($"seed 1/8: {name} on packs <= 1.5 x on loose objects ({BenchRun.Ratio(onPacks, onLoose)} x)", onPacks <= 1.5 * onLoose));
            }
        });
    }

    private static async Task<TimeSpan> TimeDiff(IAgentSnapshotsClient client, string from, string to)
    {
        var sw = Stopwatch.StartNew();
        await client.DiffAsync("disk", from, to);
        return sw.Elapsed;
    }

    /// <summary>Diffs of turns 1-2 and 5-6, and a restore of turn 5 from a workspace just restored to turn 6 (the same start each time).</summary>
    private static async Task<(TimeSpan Diff12, TimeSpan Diff56, TimeSpan Restore5)> Reads(IAgentSnapshotsClient client, List<string> hashes)
    {
        var diff12 = await TimeDiff(client, hashes[0], hashes[1]);
        var diff56 = await TimeDiff(client, hashes[4], hashes[5]);
        await client.RestoreAsync("disk", hashes[0]);
        await client.RestoreAsync("disk", hashes[5]);
        var sw = Stopwatch.StartNew();
        await client.RestoreAsync("disk", hashes[4]);
        var restore5 = sw.Elapsed;
        await client.RestoreAsync("disk", hashes[5]);
        return (diff12, diff56, restore5);
    }

    /// <summary>Collects (gc) while sampling the store's size on disk and the silo's peak memory, then repacks a copy of the store with git.</summary>
    private static async Task<Collected> Collect(IAgentSnapshotsClient client, string store, string root, long idle, int pid)
    {
        var objects = Path.Combine(store, "objects");
        var looseBytes = DirectoryBytes(objects);
        var atStart = ProcessMemory.ResidentBytes(pid);
        ProcessMemory.ResetPeak(pid);
        using var sampling = new CancellationTokenSource();
        var peakDisk = looseBytes;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakDisk = Math.Max(peakDisk, DirectoryBytes(objects));
                await Task.Delay(20);
            }
        });
        var sw = Stopwatch.StartNew();
        await client.CollectAsync("disk");
        sw.Stop();
        await sampling.CancelAsync();
        await sampler;
        var peak = ProcessMemory.PeakBytes(pid);
        var storeBytes = DirectoryBytes(objects);
        if (await BenchObjectStore.StoredBytesAsync(Path.GetFileName(store)) is { } inBackend)
        {
            Console.WriteLine($"   object store {BenchObjectStore.BackendPlace} after the collection: {Mb(inBackend)} (the silo's cache, which git repacks below: {Mb(storeBytes)})");
        }

        var copy = Path.Combine(root, "git-repack.git");
        CopyDirectory(store, copy);
        var repack = Measured.Run(root, null, "git", "--git-dir", copy, "repack", "-adfq");
        var gitBytes = DirectoryBytes(Path.Combine(copy, "objects"));
        Directory.Delete(copy, recursive: true);
        return new Collected(looseBytes, storeBytes, peakDisk, peak - idle, atStart - idle, sw.Elapsed, gitBytes, repack);
    }

    private static void Print(string label, Collected c, string tracked)
    {
        Console.WriteLine($"   {label}: {tracked}; store {Mb(c.LooseBytes)} before collection");
        Console.WriteLine($"   collection {BenchRun.Secs(c.Wall),9}  peak +{c.PeakOverIdle / (double)MiB:F0} MiB (+{c.AtStartOverIdle / (double)MiB:F0} MiB at its start)  store {Mb(c.StoreBytes)} (on disk at most {Mb(c.PeakDiskBytes)} meanwhile)"
            + $" | git repack -adf {BenchRun.Secs(c.GitRepack.Wall),9}  peak {BenchRun.Mib(c.GitRepack.PeakBytes)}  {Mb(c.GitBytes)}  -> ours {Ratio(c.StoreBytes, c.GitBytes)} x git's");
    }

    private static void AddChecks(List<(string, bool)> checks, string name, Collected c)
    {
        checks.Add(($"{name}: store <= 1.5 x git repack -adf ({Mb(c.StoreBytes)} vs {Mb(c.GitBytes)}: {Ratio(c.StoreBytes, c.GitBytes)} x)", c.StoreBytes <= 1.5 * c.GitBytes));
        checks.Add(($"{name}: silo peak while packing <= idle + 64 MiB (+{c.PeakOverIdle / (double)MiB:F0} MiB; git repack peaked at {BenchRun.Mib(c.GitRepack.PeakBytes)})", c.PeakOverIdle <= 64 * MiB));
        checks.Add(($"{name}: store on disk during collection < 2 x the store before it ({Mb(c.PeakDiskBytes)} vs {Mb(c.LooseBytes)})", c.PeakDiskBytes < 2 * c.LooseBytes));
    }

    private static async Task InSilo(string name, Func<IAgentSnapshotsClient, string, string, string, long, int, Task> body)
    {
        var root = Directory.CreateTempSubdirectory($"agentsnapshots-disk-{name}-").FullName;
        try
        {
            var workspace = Directory.CreateDirectory(Path.Combine(root, "workspace")).FullName;
            var dataDir = Path.Combine(root, "data");
            await using var silo = await BenchSilo.StartAsync(dataDir, root, maxFileBytes: 2L << 30, SiloSettings);
            using var host = BenchSilo.ClientHost(silo.GatewayPort);
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IAgentSnapshotsClient>();
            var idle = await BenchRun.IdleAfterWarmUp(client, root, silo.ProcessId);
            var store = Path.Combine(dataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(workspace)!));
            await body(client, workspace, store, root, idle, silo.ProcessId);
            Console.WriteLine();
            await host.StopAsync();
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static long DirectoryBytes(string directory)
    {
        long total = 0;
        try
        {
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
            {
                try { total += file.Length; } catch (FileNotFoundException) { }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
        return total;
    }

    internal static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            // The workspace's single-writer lock is held (flock) by the silo: not part of the repository.
            if (Path.GetFileName(file) == "agentsnapshots.lock") continue;
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Mb(long bytes) => $"{bytes / (double)MiB:F1} MiB";

    private static string Ratio(long a, long b) => (a / (double)Math.Max(b, 1)).ToString("F2", CultureInfo.InvariantCulture);
}
