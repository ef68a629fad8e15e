using System.Globalization;
using System.Diagnostics;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>A mismatch the oracle found, with the sequence that led to it and (when reduced) the smallest sequence reproducing it.</summary>
public sealed record OracleFinding(OracleMismatch Mismatch, IReadOnlyList<OracleEntry> Sequence, IReadOnlyList<OracleEntry>? Reduced, bool ReductionTried);

/// <summary>What one seed's run compared and found.</summary>
public sealed record OracleSeedResult(int Seed, OracleLayout Layout, int Steps, int TracksCompared, IReadOnlyList<OracleFinding> Findings, TimeSpan Elapsed)
{
    /// <summary>Of <see cref="Elapsed"/> (the sequence played, reductions apart): git's side of the comparisons, and the engine's compared tracks.</summary>
    public (TimeSpan Git, TimeSpan Tracks) Split { get; init; }

    /// <summary>Time the reductions took (after <see cref="Elapsed"/>).</summary>
    public TimeSpan Reducing { get; init; }

    public int Mismatches => Findings.Count;

    /// <summary>The findings, each with its reduced sequence, as lines to print or to fail a test with.</summary>
    public string Report() =>
        string.Create(CultureInfo.InvariantCulture, $"seed {Seed} ({Layout}): {TracksCompared} tracks compared, {Mismatches} mismatches; played in {Elapsed.TotalSeconds:F1} s, reduced in {Reducing.TotalSeconds:F1} s")
        + string.Concat(Findings.Select(f => $"\n  mismatch, {f.Mismatch}" + (!f.ReductionTried ? ""
            : f.Reduced is { } reduced ? $"\n  reduced ({f.Mismatch.Path}, {Layout}; the last track differs from git's tree):\n{SequenceReducer.Readable(reduced)}"
            : "\n  (not reproduced when replayed from an empty directory: timing-dependent)")));
}

/// <summary>
/// One seed of the differential oracle: a sandbox in the layout the seed picks, <c>steps</c> generated steps played
/// through every path at once (one git tree per track serves them all). After a mismatch the path starts afresh (a new
/// data directory), so later findings are independent; the first mismatches of each path are reduced.
/// </summary>
public static class OracleSeedRun
{
    public static OracleLayout LayoutFor(int seed) => (OracleLayout)(Math.Abs(seed) % 3);

    public static OracleSeedResult Run(int seed, OracleSettings settings)
    {
        var (steps, paths) = (settings.Steps, settings.Paths);
        var stopwatch = Stopwatch.StartNew();
        var chosen = settings.Layout ?? LayoutFor(seed);
        var findings = new List<OracleFinding>();
        var sequence = new List<OracleEntry>();
        var compared = 0;
        (TimeSpan Git, TimeSpan Tracks) split;
        using (var sandbox = new OracleSandbox(chosen, paths))
        {
            var generator = new OracleGenerator(sandbox.Top, chosen, new Random(seed), settings.Without);
            for (var step = 0; step < steps; step++)
            {
                foreach (var entry in generator.Step())
                {
                    sequence.Add(entry);
                    var mismatches = sandbox.Play(entry, sequence.Count - 1);
                    if (entry is Track) compared += paths.Count;
                    foreach (var mismatch in mismatches)
                    {
                        findings.Add(new OracleFinding(mismatch, [.. sequence], null, false));
                        sandbox.Reset(mismatch.Path);
                    }
                }
            }
            split = (sandbox.GitTime, sandbox.TrackTime);
        }
        var played = stopwatch.Elapsed;
        for (var i = 0; i < findings.Count; i++)
        {
            var finding = findings[i];
            if (findings.Take(i).Count(f => f.Mismatch.Path == finding.Mismatch.Path) >= settings.Reduce) continue;
            var path = paths.First(p => p.Name == finding.Mismatch.Path);
            findings[i] = finding with { Reduced = SequenceReducer.Reduce(chosen, path, finding.Sequence, settings.ReduceBudget), ReductionTried = true };
        }
        return new OracleSeedResult(seed, chosen, steps, compared, findings, played) { Split = split, Reducing = stopwatch.Elapsed - played };
    }
}
