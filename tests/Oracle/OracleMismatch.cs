using AgentSnapshots.Engine.Reports;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>A track whose tree differs from git's (or that failed): which path, after which entry, and the paths that differ.</summary>
public sealed record OracleMismatch(
    string Path, int Entry, string Expected, string Actual, FullWalkReason? FullWalk, IReadOnlyList<string> Differences, IReadOnlyList<SkippedPath> Skipped)
{
    public override string ToString() =>
        $"{Path}: after entry {Entry}, git {Expected[..Math.Min(12, Expected.Length)]}, snapshot {Actual}"
        + (FullWalk is { } walk ? $" (full walk: {walk})" : " (no full walk)")
        + (Skipped.Count > 0 ? $", skipped: {string.Join(", ", Skipped)}" : "")
        + string.Concat(Differences.Select(d => "\n      " + d));
}
