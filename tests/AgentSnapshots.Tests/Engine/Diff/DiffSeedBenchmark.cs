using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Diff;

/// <summary>
/// The seed scenario's diff on this machine: our summary against git cat-file --batch (the floor) and git diff
/// --numstat on the same two trees. Runs only when AS_DIFF_BENCH=1 (it writes ~450 MiB): build in Release and run
/// <c>AS_DIFF_BENCH=1 tests/AgentSnapshots.Tests/bin/Release/net10.0/AgentSnapshots.Tests -class AgentSnapshots.Tests.Engine.Diff.DiffSeedBenchmark -showliveoutput</c>.
/// </summary>
[Collection(nameof(DiffMemoryGroup))]
public sealed class DiffSeedBenchmark(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("as-diff-bench");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Seed_turns_1_and_2()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("AS_DIFF_BENCH") == "1", "set AS_DIFF_BENCH=1 to run");
        var script = FindSeedScript();
        var store = ObjectStore.Open(_dir.Combine("store"));
        var trees = new GitObjectId[2];
        var blobs = new List<GitObjectId>();
        for (var turn = 1; turn <= 2; turn++)
        {
            var ws = _dir.Combine("ws" + turn.ToString(CultureInfo.InvariantCulture));
            Run("python3", script, ws, turn.ToString(CultureInfo.InvariantCulture));
            var entries = new List<(string, EntryMode, GitObjectId)>();
            foreach (var file in Directory.EnumerateFiles(ws, "*", SearchOption.AllDirectories))
            {
                using var stream = File.OpenRead(file);
                var id = store.WriteBlob(stream, stream.Length);
                blobs.Add(id);
                entries.Add((Path.GetRelativePath(ws, file).Replace('\\', '/'), EntryMode.RegularFile, id));
                // The two runs of the scenario are in one directory: the first turn's files are rewritten by the second.
            }
            trees[turn - 1] = TreeOf(store, entries);
            Directory.Delete(ws, recursive: true);
        }

        var options = new SummaryOptions();
        var builder = new AgentSnapshots.Engine.Diff.DiffSummaryBuilder(store, options);
        builder.Summarize(trees[0], trees[1]); // warm up (JIT)
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        File.WriteAllText("/proc/self/clear_refs", "5");
        var rssBefore = StatusBytes("VmRSS");
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var summary = builder.Summarize(trees[0], trees[1]);
        var ours = watch.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var peakGrowth = StatusBytes("VmHWM") - rssBefore;

        var list = _dir.Combine("blobs.txt");
        File.WriteAllText(list, string.Concat(blobs.Select(b => b.ToHex() + "\n")));
        watch.Restart();
        Run("sh", "-c", $"git --git-dir '{store.GitDir}' cat-file --batch < '{list}' > /dev/null");
        var floor = watch.Elapsed;
        watch.Restart();
        var numstat = Git.Run(_dir.Path, "--git-dir", store.GitDir, "diff", "--numstat", "--no-renames", trees[0].ToHex(), trees[1].ToHex());
        var gitDiff = watch.Elapsed;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"summary {ours.TotalSeconds:F2} s wall, {cpu.TotalSeconds:F2} s CPU, peak RSS +{peakGrowth / 1048576.0:F0} MiB; git cat-file --batch {floor.TotalSeconds:F2} s (ratio {ours / floor:F2}); git diff --numstat {gitDiff.TotalSeconds:F2} s (speedup {gitDiff / ours:F1}x)"));
        output.WriteLine(numstat);
        foreach (var f in summary.Files)
        {
            output.WriteLine($"{f.Additions}\t{f.Deletions}\t{f.File} exact={f.Exact}");
            Assert.True(f.Exact);
        }
        foreach (var line in numstat.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            var f = summary.Files.Single(x => x.File == parts[2]);
            Assert.Equal(parts[0] + "\t" + parts[1], $"{f.Additions}\t{f.Deletions}");
        }
    }

    private static GitObjectId TreeOf(ObjectStore store, List<(string Path, EntryMode Mode, GitObjectId Id)> files)
    {
        var groups = files.GroupBy(f => f.Path.Contains('/', StringComparison.Ordinal) ? f.Path[..f.Path.IndexOf('/', StringComparison.Ordinal)] : "");
        var entries = new List<TreeEntry>();
        foreach (var g in groups)
        {
            if (g.Key.Length == 0)
            {
                entries.AddRange(g.Select(f => new TreeEntry(f.Path, f.Mode, f.Id)));
            }
            else
            {
                var sub = TreeOf(store, g.Select(f => (f.Path[(g.Key.Length + 1)..], f.Mode, f.Id)).ToList());
                entries.Add(new TreeEntry(g.Key, EntryMode.Directory, sub));
            }
        }
        return store.WriteTree(entries);
    }

    private static long StatusBytes(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static string FindSeedScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "bench", "seed-turn.py");
            if (File.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "..", "shared", "bench", "seed-turn.py");
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        return "/work/shared/bench/seed-turn.py";
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
