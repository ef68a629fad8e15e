using System.Diagnostics;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>
/// Delta debugging (ddmin, by complements) over an oracle sequence: the smallest subsequence found whose last track,
/// replayed from an empty directory through one path, still differs from git's tree. Earlier tracks are replayed
/// (the engine's state depends on them) but not compared, so each try costs one git comparison.
/// </summary>
public static class SequenceReducer
{
    /// <summary>
    /// Reduces <paramref name="entries"/> (ending with the mismatching track); null when the whole sequence does not
    /// reproduce on replay. Within <paramref name="budget"/> (default 2 minutes): past it the result is smaller, not minimal.
    /// </summary>
    public static IReadOnlyList<OracleEntry>? Reduce(OracleLayout layout, OraclePath path, IReadOnlyList<OracleEntry> entries, TimeSpan? budget = null)
    {
        var body = entries.Take(entries.Count - 1).ToList();
        bool Fails(List<OracleEntry> candidate) => Reproduces(layout, path, [.. candidate, new Track()]);
        if (!Fails(body)) return null;
        return [.. Minimize(body, Fails, budget ?? TimeSpan.FromMinutes(2)), new Track()];
    }

    /// <summary>
    /// ddmin: removes ever smaller chunks of <paramref name="items"/> while <paramref name="fails"/> still holds
    /// (which it does for <paramref name="items"/>), down to single items, until nothing more can go or the budget is spent.
    /// </summary>
    public static List<T> Minimize<T>(IReadOnlyList<T> items, Func<List<T>, bool> fails, TimeSpan budget)
    {
        var stopwatch = Stopwatch.StartNew();
        var current = items.ToList();
        var chunks = 2;
        while (current.Count >= 1 && stopwatch.Elapsed < budget)
        {
            chunks = Math.Min(chunks, current.Count);
            var size = (int)Math.Ceiling(current.Count / (double)chunks);
            var reduced = false;
            for (var start = 0; start < current.Count && stopwatch.Elapsed < budget; start += size)
            {
                var complement = current.Take(start).Concat(current.Skip(start + size)).ToList();
                if (fails(complement))
                {
                    current = complement;
                    chunks = Math.Max(chunks - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (reduced) continue;
            if (chunks >= current.Count) break;
            chunks = Math.Min(chunks * 2, current.Count);
        }
        return current;
    }

    /// <summary>Whether the sequence's last track differs from git's tree when replayed from an empty directory.</summary>
    public static bool Reproduces(OracleLayout layout, OraclePath path, IReadOnlyList<OracleEntry> entries)
    {
        using var sandbox = new OracleSandbox(layout, [path]);
        for (var i = 0; i < entries.Count - 1; i++) sandbox.Play(entries[i], i, compare: false);
        return sandbox.Play(entries[^1], entries.Count - 1).Count > 0;
    }

    /// <summary>A sequence as numbered lines, tracks included.</summary>
    public static string Readable(IEnumerable<OracleEntry> entries) =>
        string.Join('\n', entries.Select((e, i) => $"  {i + 1,3}. {e}"));
}
