using System.Diagnostics;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>A mismatch the oracle found, with the sequence that led to it and (when reduced) the smallest sequence reproducing it.</summary>
public sealed record OracleFinding(OracleMismatch Mismatch, IReadOnlyList<OracleEntry> Sequence, IReadOnlyList<OracleEntry>? Reduced, bool ReductionTried);

/// <summary>What one seed's run compared and found.</summary>
public sealed record OracleSeedResult(int Seed, OracleLayout Layout, int Steps, int TracksCompared, IReadOnlyList<OracleFinding> Findings, TimeSpan Elapsed)
{
    /// <summary>Of <see cref="Elapsed"/>: git's side of the comparisons, and the engine's compared tracks (the rest: operations, other tracks, reductions).</summary>
    public (TimeSpan Git, TimeSpan Tracks) Split { get; init; }

    public int Mismatches => Findings.Count;
}

/// <summary>
/// One seed of the differential oracle: a sandbox in the layout the seed picks, <c>steps</c> generated steps played
/// through every path at once (one git tree per track serves them all). After a mismatch the path starts afresh (a new
/// data directory), so later findings are independent; the first <c>reduce</c> mismatches of each path are reduced.
/// </summary>
public static class OracleSeedRun
{
    public static OracleLayout LayoutFor(int seed) => (OracleLayout)(Math.Abs(seed) % 3);

    public static OracleSeedResult Run(int seed, int steps, IReadOnlyList<OraclePath> paths, int reduce = 1, OracleLayout? layout = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var chosen = layout ?? LayoutFor(seed);
        var findings = new List<OracleFinding>();
        var played = new List<OracleEntry>();
        var compared = 0;
        (TimeSpan Git, TimeSpan Tracks) split;
        using (var sandbox = new OracleSandbox(chosen, paths))
        {
            var generator = new OracleGenerator(sandbox.Top, chosen, new Random(seed));
            for (var step = 0; step < steps; step++)
            {
                foreach (var entry in generator.Step())
                {
                    played.Add(entry);
                    var mismatches = sandbox.Play(entry, played.Count - 1);
                    if (entry is Track) compared += paths.Count;
                    foreach (var mismatch in mismatches)
                    {
                        findings.Add(new OracleFinding(mismatch, [.. played], null, false));
                        sandbox.Reset(mismatch.Path);
                    }
                }
            }
            split = (sandbox.GitTime, sandbox.TrackTime);
        }
        for (var i = 0; i < findings.Count; i++)
        {
            var finding = findings[i];
            if (findings.Take(i).Count(f => f.Mismatch.Path == finding.Mismatch.Path) >= reduce) continue;
            var path = paths.First(p => p.Name == finding.Mismatch.Path);
            findings[i] = finding with { Reduced = SequenceReducer.Reduce(chosen, path, finding.Sequence), ReductionTried = true };
        }
        return new OracleSeedResult(seed, chosen, steps, compared, findings, stopwatch.Elapsed) { Split = split };
    }
}
