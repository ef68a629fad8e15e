using System.Globalization;

namespace AgentSnapshots.Tests.Support;

/// <summary>A service log as turn after turn of an agent leaves it: the same start, more lines each turn, and a few lines changed.</summary>
public static class GrowingLog
{
    /// <summary>Turn <paramref name="turn"/>: <paramref name="lines"/> plus <paramref name="growth"/> lines per turn (about 50 bytes each), one in 1,000 changed by the turn.</summary>
    public static string Turn(int turn, int lines, int growth) =>
        string.Concat(Enumerable.Range(0, lines + turn * growth).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"2026-11-23 INFO request {i:D8} took {(i * 31 + (i % 1000 == turn ? 7 : 0)) % 997} ms\n")));
}
