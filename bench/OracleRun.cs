using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Tests.Oracle;

namespace AgentSnapshots.Bench;

/// <summary>
/// The differential oracle run long: seeded random operation sequences, every track through the engine compared with
/// git's tree from a fresh index, watcher on and/or off; per seed and in total the tracks compared and the
/// mismatches, each with the reduced sequence that reproduces it. Exit code 1 when any snapshot differed from git's tree.
/// <code>dotnet run -c Release --project bench -- oracle [--seeds 50] [--steps 2000] [--first-seed 1] [--watch on|off|both] [--reduce 2] [--parallel 2] [--without keeptime,settime,...]</code>
/// <c>--reduce N</c> reduces the first N-1 mismatches of each path per seed (1: none); <c>--without</c> leaves operation kinds out (<see cref="OperationKind"/>).
/// </summary>
internal static class OracleRun
{
    public static Task<int> RunAsync(string[] args)
    {
        var watch = "both";
        var without = new HashSet<OperationKind>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--watch" && i + 1 < args.Length) watch = args[++i];
            else if (args[i] == "--without" && i + 1 < args.Length) without.UnionWith(args[++i].Split(',').Select(k => Enum.Parse<OperationKind>(k, ignoreCase: true)));
            else rest.Add(args[i]);
        }
        IReadOnlyList<OraclePath> paths = watch switch
        {
            "on" => [OraclePath.WatcherOn],
            "off" => [OraclePath.WatcherOff],
            "both" => [OraclePath.WatcherOn, OraclePath.WatcherOff],
            _ => throw new FormatException($"--watch is '{watch}': give on, off or both"),
        };
        var options = WholeNumberOptions.Parse(rest, new Dictionary<string, int>
        {
            ["--seeds"] = 50, ["--steps"] = 2000, ["--first-seed"] = 1, ["--reduce"] = 2, ["--parallel"] = Environment.ProcessorCount,
        });
        var seeds = Enumerable.Range(options["--first-seed"], options["--seeds"]).ToList();
        Console.WriteLine($"== oracle: {seeds.Count} seeds from {seeds[0]} x {options["--steps"]} steps, {string.Join(" and ", paths)}, {options["--parallel"]} at once{(without.Count > 0 ? ", without " + string.Join(",", without) : "")}; each track compared with git add -A && git write-tree from a fresh index");
        var stopwatch = Stopwatch.StartNew();
        var results = new List<OracleSeedResult>();
        var printing = new Lock();
        Parallel.ForEach(seeds, new ParallelOptions { MaxDegreeOfParallelism = options["--parallel"] }, seed =>
        {
            var result = OracleSeedRun.Run(seed, new OracleSettings(options["--steps"], paths) { Reduce = options["--reduce"] - 1, Without = without });
            lock (printing)
            {
                results.Add(result);
                Print(result);
            }
        });
        stopwatch.Stop();
        var tracks = results.Sum(r => r.TracksCompared);
        var steps = results.Sum(r => r.Steps);
        var mismatches = results.Sum(r => r.Mismatches);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"== oracle total: {results.Count} seeds, {steps:N0} steps, {tracks:N0} tracks compared, {mismatches} mismatches ({string.Join(", ", paths.Select(p => $"{p}: {results.Sum(r => r.Findings.Count(f => f.Mismatch.Path == p.Name))}"))}); {stopwatch.Elapsed.TotalSeconds:F0} s wall; {steps / results.Sum(r => r.Elapsed.TotalSeconds):F1} steps/s per seed played, {results.Sum(r => r.Reducing.TotalSeconds):F0} s reducing in all"));
        return Task.FromResult(mismatches == 0 ? 0 : 1);
    }

    private static void Print(OracleSeedResult result)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   seed {result.Seed,4} ({result.Layout}): {result.Steps} steps, {result.TracksCompared} tracks compared, {result.Mismatches} mismatches, {result.Elapsed.TotalSeconds:F1} s ({result.Steps / result.Elapsed.TotalSeconds:F1} steps/s; git {result.Split.Git.TotalSeconds:F1} s, compared tracks {result.Split.Tracks.TotalSeconds:F1} s; then {result.Reducing.TotalSeconds:F1} s reducing)"));
        if (result.Mismatches > 0) Console.WriteLine(result.Report());
    }
}
