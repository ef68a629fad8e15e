using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Processes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSnapshots.Bench;

/// <summary>
/// One scenario through a real silo process: track two turns, summarise them (twice), and in the same run measure
/// git on the same trees: `git add -A` into a fresh repository per turn, `git diff --numstat`, and the floor,
/// `git cat-file --batch` over the changed blobs.
/// </summary>
internal static class BenchRun
{
    internal const long MiB = 1 << 20;

    public static async Task<bool> RunAsync(Scenario scenario)
    {
        var root = Directory.CreateTempSubdirectory("agentsnapshots-bench-").FullName;
        try
        {
            var workspace = Directory.CreateDirectory(Path.Combine(root, "workspace")).FullName;
            var dataDir = Path.Combine(root, "data");
            await using var silo = await BenchSilo.StartAsync(dataDir, root, maxFileBytes: 2L << 30, scenario.SiloSettings);
            using var host = BenchSilo.ClientHost(silo.GatewayPort);
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IAgentSnapshotsClient>();
            var session = "bench-" + scenario.Name;

            var idle = await IdleAfterWarmUp(client, root, silo.ProcessId);
            var storedBefore = BenchObjectStore.Backed ? 0 : StoredStateBytes(Path.Combine(dataDir, "orleans.db"));

            Console.WriteLine($"== {scenario.Name}: {scenario.Description}");
            var tracks = new List<(TrackResult Result, TimeSpan Wall, long Peak, Measured GitAdd)>();
            for (var turn = 1; turn <= 2; turn++)
            {
                scenario.WriteTurn(workspace, turn);
                ProcessMemory.ResetPeak(silo.ProcessId);
                var sw = Stopwatch.StartNew();
                var tracked = await client.TrackAsync(session, workspace, $"turn {turn}");
                sw.Stop();
                var peak = ProcessMemory.PeakBytes(silo.ProcessId);
                var gitDir = Path.Combine(root, $"git-add-{turn}.git");
                Git(root, "init", "-q", "--bare", gitDir);
                var gitAdd = Measured.Run(root, null, "git", "--git-dir", gitDir, "--work-tree", workspace, "add", "-A");
                tracks.Add((tracked, sw.Elapsed, peak, gitAdd));
            }

            var from = tracks[0].Result.Hash;
            var to = tracks[1].Result.Hash;
            ProcessMemory.ResetPeak(silo.ProcessId);
            var swDiff = Stopwatch.StartNew();
            var summary = await client.DiffAsync(session, from, to);
            swDiff.Stop();
            var diffPeak = ProcessMemory.PeakBytes(silo.ProcessId);
            var swAgain = Stopwatch.StartNew();
            await client.DiffAsync(session, from, to);
            swAgain.Stop();

            var store = Path.Combine(dataDir, "workspaces", AgentSnapshots.Engine.WorkspaceIdentity.IdFor(AgentSnapshots.Engine.WorkspaceIdentity.RealPath(workspace)!));
            var numstat = Measured.Run(root, null, "git", "--git-dir", store, "diff", "--numstat", "--no-renames", from, to);
            var changedBlobs = Git(root, "--git-dir", store, "diff", "--raw", "--no-abbrev", "--no-renames", from, to)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .SelectMany(l => l.Split(' ').Skip(2).Take(2))
                .Where(id => id.Trim('0').Length > 0)
                .ToList();
            var floor = Measured.Run(root, string.Join('\n', changedBlobs) + "\n", keepOutput: false, "git", "--git-dir", store, "cat-file", "--batch");
            var stored = BenchObjectStore.Backed ? 0 : StoredStateBytes(Path.Combine(dataDir, "orleans.db")) - storedBefore;
            var objectBytes = StoreBytes(store);
            var backendBytes = await BenchObjectStore.StoredBytesAsync(Path.GetFileName(store));
            TimeSpan? cold = null;
            if (backendBytes is not null)
            {
                // A cold cache: the silo's cached packs deleted (it fetches indexes and ranges again); the summary
                // cache is off in this mode (see BenchObjectStore), so the summary is computed again.
                foreach (var file in Directory.EnumerateFiles(Path.Combine(store, "objects", "pack"))) File.Delete(file);
                var swCold = Stopwatch.StartNew();
                await client.DiffAsync(session, from, to);
                cold = swCold.Elapsed;
            }

            // What the store keeps once collected, beside `git repack -adf` of a copy of the same objects (both
            // snapshots as refs): the local store's own pack, or the backend's packs as they are stored there.
            await client.CollectAsync(session);
            var collected = await BenchObjectStore.StoredBytesAsync(Path.GetFileName(store)) ?? StoreBytes(store);
            var copy = Path.Combine(root, "git-repack.git");
            Git(root, "init", "-q", "--bare", copy);
            await BenchObjectStore.CopyObjectsAsync(Path.GetFileName(store), store, copy);
            Git(root, "--git-dir", copy, "update-ref", "refs/kept/turn-1", from);
            Git(root, "--git-dir", copy, "update-ref", "refs/kept/turn-2", to);
            var repack = Measured.Run(root, null, "git", "--git-dir", copy, "repack", "-adfq");
            var repacked = StoreBytes(copy);
            Directory.Delete(copy, recursive: true);

            Console.WriteLine($"   silo idle RSS {Mib(idle)}");
            for (var i = 0; i < tracks.Count; i++)
            {
                var t = tracks[i];
                Console.WriteLine($"   track turn {i + 1,-2}      {Secs(t.Wall),9}  peak {Over(t.Peak, idle),-14} | git add -A (fresh repo) {Secs(t.GitAdd.Wall),9}  peak {Mib(t.GitAdd.PeakBytes)}");
            }
            Console.WriteLine($"   summary            {Secs(swDiff.Elapsed),9}  peak {Over(diffPeak, idle),-14} | git diff --numstat {Secs(numstat.Wall),9}  peak {Mib(numstat.PeakBytes)}");
            Console.WriteLine($"   summary again      {Secs(swAgain.Elapsed),9}                       | floor: git cat-file --batch over {changedBlobs.Count} changed blobs {Secs(floor.Wall)}");
            Console.WriteLine(BenchObjectStore.Backed
                ? "   stored state       (rows in PostgreSQL: not measured in this mode)"
                : $"   stored state       {stored:N0} bytes for 2 steps ({stored / 2:N0} per step; the session and workspace grains)");
            Console.WriteLine($"   object store       {(backendBytes is { } b ? $"{b:N0} bytes {BenchObjectStore.BackendPlace} (the silo's cache held {objectBytes:N0})" : $"{objectBytes:N0} bytes under DataDir")}");
            Console.WriteLine($"   after collection   {collected:N0} bytes {(backendBytes is null ? "under DataDir" : BenchObjectStore.BackendPlace)} | git repack -adf of a copy {repacked:N0} bytes " +
                $"({Secs(repack.Wall)}, peak {Mib(repack.PeakBytes)}): {collected / (double)Math.Max(repacked, 1):F2} x");
            if (cold is { } c) Console.WriteLine($"   summary, cold cache {Secs(c),8}  (every cached pack deleted first)");
            Console.WriteLine($"   summary: {summary.FileCount} files, +{summary.Additions} -{summary.Deletions}");
            var gitStats = ParseNumstat(numstat.Output);
            foreach (var f in summary.Files)
            {
                var reference = gitStats.TryGetValue(f.File, out var g) ? $"git {g}" : "git: -";
                Console.WriteLine($"     {f.File,-42} +{f.Additions,-9} -{f.Deletions,-9} exact={f.Exact,-5} binary={f.Binary,-5} | {reference}");
            }

            var checks = new List<(string Target, bool Met)>
            {
                ($"summary peak <= idle + 64 MiB ({Over(diffPeak, idle)})", diffPeak - idle <= 64 * MiB),
                ($"summary wall <= 3 x floor ({Ratio(swDiff.Elapsed, floor.Wall)} x)", swDiff.Elapsed <= 3 * floor.Wall),
                ($"stored state per step <= 16 KiB ({(BenchObjectStore.Backed ? "not measured" : $"{stored / 2:N0} bytes")})", stored / 2 <= 16 * 1024),
                ($"track peak <= idle + 64 MiB ({Over(tracks.Max(t => t.Peak), idle)})", tracks.Max(t => t.Peak) - idle <= 64 * MiB),
                ($"stored bytes after collection <= 1.1 x git repack -adf ({collected / (double)Math.Max(repacked, 1):F2} x)", collected <= 1.1 * repacked),
                ($"track wall <= git add -A ({Secs(tracks[1].Wall)} vs {Secs(tracks[1].GitAdd.Wall)})", tracks[1].Wall <= tracks[1].GitAdd.Wall),
            };
            if (scenario.BeatsGitDiff)
            {
                checks.Add(($"summary >= 5 x faster than git diff --numstat ({Ratio(numstat.Wall, swDiff.Elapsed)} x)", numstat.Wall >= 5 * swDiff.Elapsed));
            }
            else
            {
                Console.WriteLine($"   (not a target here) summary vs git diff --numstat: {Ratio(numstat.Wall, swDiff.Elapsed)} x");
            }
            foreach (var (target, met) in checks)
            {
                Console.WriteLine($"   {(met ? "met " : "MISS")} {target}");
            }
            Console.WriteLine();
            await host.StopAsync();
            return checks.All(c => c.Met);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Warms up code paths on a tiny workspace, then reads the silo's resident memory: the idle figure, a steady state.</summary>
    internal static async Task<long> IdleAfterWarmUp(IAgentSnapshotsClient client, string root, int siloPid)
    {
        var warm = Directory.CreateDirectory(Path.Combine(root, "warm")).FullName;
        await File.WriteAllTextAsync(Path.Combine(warm, "a.txt"), "a\n");
        var w1 = await client.TrackAsync("warm", warm);
        await File.WriteAllTextAsync(Path.Combine(warm, "a.txt"), "b\n");
        await client.DiffAsync("warm", w1.Hash);
        await Task.Delay(500);
        return ProcessMemory.ResidentBytes(siloPid);
    }

    /// <summary>The bytes of a store's objects directory (loose objects, packs, indexes).</summary>
    private static long StoreBytes(string store) =>
        new DirectoryInfo(Path.Combine(store, "objects")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static long StoredStateBytes(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(LENGTH(PayloadBinary)), 0) FROM OrleansGrainState";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> ParseNumstat(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(p => p.Length == 3)
            .ToDictionary(p => p[2], p => $"+{p[0]} -{p[1]}", StringComparer.Ordinal);

    internal static string Git(string cwd, params string[] args) => Measured.Run(cwd, null, "git", args).Output;

    internal static string Secs(TimeSpan t) => t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:F0} ms" : $"{t.TotalSeconds:F2} s";

    internal static string Mib(long bytes) => $"{bytes / (double)MiB:F0} MiB";

    internal static string Over(long peak, long idle) => $"+{(peak - idle) / (double)MiB:F0} MiB";

    internal static string Ratio(TimeSpan a, TimeSpan b) => (a.TotalSeconds / Math.Max(b.TotalSeconds, 1e-6)).ToString("F1", CultureInfo.InvariantCulture);
}
