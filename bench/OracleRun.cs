using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Tests.Oracle;

namespace AgentSnapshots.Bench;

/// <summary>
/// The differential oracle run long: seeded random operation sequences, every track through the engine compared with
/// git's tree from a fresh index, watcher on and/or off; per seed and in total the tracks compared and the
/// mismatches, each with the reduced sequence that reproduces it. Exit code 1 when any snapshot differed from git's tree.
/// <code>dotnet run -c Release --project bench -- oracle [--seeds 50] [--steps 2000] [--first-seed 1] [--watch on|off|both] [--reduce 1] [--parallel 2] [--without keeptime,settime,...]</code>
/// <c>--reduce N</c> reduces the first N mismatches of each path per seed (0: none); <c>--without</c> leaves operation kinds out (<see cref="OperationKind"/>).
/// </summary>
internal static class OracleRun
{
    private const string Usage = "usage: oracle [--seeds 50] [--steps 2000] [--first-seed 1] [--watch on|off|both] [--reduce 1] [--parallel N] [--without kind,...]";

    private sealed record Settings(IReadOnlyList<int> Seeds, int Steps, IReadOnlyList<OraclePath> Paths, int Reduce, int Parallel, HashSet<OperationKind> Without);

    public static async Task<int> RunAsync(string[] args)
    {
        Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"oracle: {e.Message} ({Usage})");
            return 2;
        }
        return Run(settings);
    }

    /// <exception cref="FormatException">An option is unknown or its value is not one it takes.</exception>
    private static Settings Parse(string[] args)
    {
        var watch = "both";
        var without = new HashSet<OperationKind>();
        var reduce = 1;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : "";
            switch (args[i])
            {
                case "--watch":
                    watch = value;
                    i++;
                    break;
                case "--reduce":
                    reduce = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException("--reduce needs a whole number (0: no reductions)");
                    i++;
                    break;
                case "--without":
                    foreach (var name in value.Split(','))
                    {
                        without.Add(Enum.TryParse<OperationKind>(name, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
                            ? kind
                            : throw new FormatException($"--without: '{name}' is not an operation kind; known: {string.Join(", ", Enum.GetNames<OperationKind>())}"));
                    }
                    i++;
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
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
            ["--seeds"] = 50, ["--steps"] = 2000, ["--first-seed"] = 1, ["--parallel"] = Environment.ProcessorCount,
        });
        return new Settings(Enumerable.Range(options["--first-seed"], options["--seeds"]).ToList(), options["--steps"], paths, reduce, options["--parallel"], without);
    }

    private static int Run(Settings settings)
    {
        var (seeds, paths, without) = (settings.Seeds, settings.Paths, settings.Without);
        Console.WriteLine($"== oracle: {seeds.Count} seeds from {seeds[0]} x {settings.Steps} steps, {string.Join(" and ", paths)}, {settings.Parallel} at once{(without.Count > 0 ? ", without " + string.Join(",", without) : "")}; each track compared with git add -A && git write-tree from a fresh index");
        var stopwatch = Stopwatch.StartNew();
        var results = new List<OracleSeedResult>();
        var printing = new Lock();
        var failedSeeds = 0;
        Parallel.ForEach(seeds, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallel }, seed =>
        {
            try
            {
                var result = OracleSeedRun.Run(seed, new OracleSettings(settings.Steps, paths) { Reduce = settings.Reduce, Without = without });
                lock (printing)
                {
                    results.Add(result);
                    Print(result);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // git or the sandbox failed (not a snapshot differing from git's tree): said, counted, the other seeds go on.
                Interlocked.Increment(ref failedSeeds);
                lock (printing) Console.WriteLine($"   seed {seed,4}: the run failed: {e.Message}");
            }
        });
        stopwatch.Stop();
        var tracks = results.Sum(r => r.TracksCompared);
        var steps = results.Sum(r => r.Steps);
        var mismatches = results.Sum(r => r.Mismatches);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"== oracle total: {results.Count} seeds, {steps:N0} steps, {tracks:N0} tracks compared, {mismatches} mismatches ({string.Join(", ", paths.Select(p => $"{p}: {results.Sum(r => r.Findings.Count(f => f.Mismatch.Path == p.Name))}"))}); {stopwatch.Elapsed.TotalSeconds:F0} s wall; {steps / results.Sum(r => r.Elapsed.TotalSeconds):F1} steps/s per seed played, {results.Sum(r => r.Reducing.TotalSeconds):F0} s reducing in all"));
        if (failedSeeds > 0) Console.WriteLine($"== {failedSeeds} seeds failed to run (see above)");
        return mismatches == 0 && failedSeeds == 0 ? 0 : 1;
    }

    private static void Print(OracleSeedResult result)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   seed {result.Seed,4} ({result.Layout}): {result.Steps} steps, {result.TracksCompared} tracks compared, {result.Mismatches} mismatches, {result.Elapsed.TotalSeconds:F1} s ({result.Steps / result.Elapsed.TotalSeconds:F1} steps/s; git {result.Split.Git.TotalSeconds:F1} s, compared tracks {result.Split.Tracks.TotalSeconds:F1} s; then {result.Reducing.TotalSeconds:F1} s reducing)"));
        if (result.Mismatches > 0) Console.WriteLine(result.Report());
    }
}
