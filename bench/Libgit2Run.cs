using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;
using LibGit2Sharp;

namespace AgentSnapshots.Bench;

/// <summary>
/// The engine's diff summary beside LibGit2Sharp's on the same store in one process: the seed scenario's turns 1 and 2
/// snapshotted by the engine, then the diff of turn 1 to turn 2 as our summary (what 'diff' answers), as libgit2's
/// <c>PatchStats</c> (per-file line counts, what git diff --numstat prints) and as libgit2's <c>Patch</c> (the text
/// too): wall time and the peak resident memory each adds, with the peak reset between them (clear_refs).
/// <code>dotnet run -c Release --project bench -- libgit2 [--big1-mib 128] [--big2-mib 96] [--small-kib 512]</code>
/// </summary>
internal static class Libgit2Run
{
    private const double MiB = 1 << 20;

    private sealed record Phase(string Name, TimeSpan Wall, long PeakOverStart, long Additions, long Deletions, int Files);

    public static Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var sizes = new[] { 128.0, 96.0, 512.0 };
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            var at = Array.IndexOf(["--big1-mib", "--big2-mib", "--small-kib"], args[i]);
            if (at < 0 || !double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out sizes[at]))
            {
                Console.Error.WriteLine($"libgit2: unknown option or bad number '{args[i]} {args[i + 1]}'; takes --big1-mib N --big2-mib N --small-kib N");
                return Task.FromResult(2);
            }
        }
        if (args.Count % 2 != 0)
        {
            Console.Error.WriteLine($"libgit2: '{args[^1]}' has no value; takes --big1-mib N --big2-mib N --small-kib N");
            return Task.FromResult(2);
        }
        Console.WriteLine($"AgentSnapshots libgit2 benchmark, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30} GiB, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; " +
            $"libgit2 {GlobalSettings.Version.LibGit2CommitSha} (LibGit2Sharp {GlobalSettings.Version.InformationalVersion}); seed {sizes[0]} MiB + {sizes[1]} MiB + {sizes[2]} KiB, every line changed");
        var root = Directory.CreateTempSubdirectory("agentsnapshots-libgit2-").FullName;
        try
        {
            var work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            var options = new SnapshotsOptions { DataDir = Path.Combine(root, "data"), WorkspaceRoots = [root] };
            GitObjectId from, to;
            string gitDir;
            using (var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options))
            {
                Scenario.WriteSeedTurn(work, 1, sizes[0], sizes[1], sizes[2]);
                from = workspace.Snapshot().Tree;
                Scenario.WriteSeedTurn(work, 2, sizes[0], sizes[1], sizes[2]);
                to = workspace.Snapshot().Tree;
                gitDir = workspace.Store.GitDir;
            }
            var phases = new[]
            {
                Measure("ours: summary", () =>
                {
                    var summary = new DiffSummaryBuilder(ObjectStore.Open(gitDir), new SummaryOptions()).Summarize(from, to);
                    return (summary.Additions, summary.Deletions, summary.FileCount);
                }),
                Measure("libgit2: PatchStats", () =>
                {
                    using var repo = new Repository(gitDir);
                    var stats = repo.Diff.Compare<PatchStats>(repo.Lookup<Tree>(from.ToHex()), repo.Lookup<Tree>(to.ToHex()));
                    return (stats.TotalLinesAdded, stats.TotalLinesDeleted, stats.Count());
                }),
                Measure("libgit2: Patch", () =>
                {
                    using var repo = new Repository(gitDir);
                    using var patch = repo.Diff.Compare<Patch>(repo.Lookup<Tree>(from.ToHex()), repo.Lookup<Tree>(to.ToHex()));
                    return (patch.LinesAdded, patch.LinesDeleted, patch.Count());
                }),
            };
            Console.WriteLine($"   {"diff turn 1 -> 2",-22} {"wall",9} {"peak RSS added",15} {"files",6} {"+lines",12} {"-lines",12}");
            foreach (var phase in phases)
            {
                Console.WriteLine($"   {phase.Name,-22} {phase.Wall.TotalSeconds,8:F2}s {phase.PeakOverStart / MiB,11:F0} MiB {phase.Files,6} {phase.Additions,12:N0} {phase.Deletions,12:N0}");
            }
            var agree = phases.All(p => p.Additions == phases[0].Additions && p.Deletions == phases[0].Deletions && p.Files == phases[0].Files);
            Console.WriteLine(agree ? "   line counts: all three agree" : "   line counts DIFFER between the readers");
            return Task.FromResult(agree ? 0 : 1);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs <paramref name="diff"/> once after a full collection, with the process's peak reset to its size then.</summary>
    private static Phase Measure(string name, Func<(long Additions, long Deletions, int Files)> diff)
    {
        ProcessMemory.ManagedBytesAfterCollection();
        var self = Environment.ProcessId;
        ProcessMemory.ResetPeak(self);
        var start = ProcessMemory.ResidentBytes(self);
        var clock = Stopwatch.StartNew();
        var (additions, deletions, files) = diff();
        clock.Stop();
        return new Phase(name, clock.Elapsed, ProcessMemory.PeakBytes(self) - start, additions, deletions, files);
    }
}
