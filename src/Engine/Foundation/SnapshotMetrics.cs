using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentSnapshots.Engine.Foundation;

/// <summary>
/// AgentSnapshots' own <see cref="System.Diagnostics.Metrics"/> instruments (meter <see cref="MeterName"/>), and its
/// activity source for traces. Exported by the silo's OpenTelemetry setup when an exporter is configured; a
/// <see cref="MeterListener"/> sees them too.
/// </summary>
public static class SnapshotMetrics
{
    public const string MeterName = "AgentSnapshots";

    public static readonly Meter Meter = new(MeterName);

    public static readonly ActivitySource ActivitySource = new(MeterName);

    /// <summary>File content read into an object store by snapshots (new or changed files only: snapshots are incremental).</summary>
    public static readonly Counter<long> SnapshotBytes =
        Meter.CreateCounter<long>("agentsnapshots.snapshot.bytes", "By", "File content read into object stores by snapshots");

    /// <summary>Wall time of one snapshot of a working tree.</summary>
    public static readonly Histogram<double> SnapshotDuration =
        Meter.CreateHistogram<double>("agentsnapshots.snapshot.duration", "s", "Wall time of one workspace snapshot");

    /// <summary>Wall time of computing one DiffSummary (cache misses only).</summary>
    public static readonly Histogram<double> DiffDuration =
        Meter.CreateHistogram<double>("agentsnapshots.diff.duration", "s", "Wall time of computing one diff summary");

    /// <summary>Blob bytes the diff engine streamed (old and new sides of the changed files).</summary>
    public static readonly Counter<long> DiffBytesStreamed =
        Meter.CreateCounter<long>("agentsnapshots.diff.bytes_streamed", "By", "Blob bytes streamed to compute diff summaries");

    /// <summary>Summaries answered from the silo's summary cache.</summary>
    public static readonly Counter<long> SummaryCacheHits =
        Meter.CreateCounter<long>("agentsnapshots.summary_cache.hits", "{summary}", "Diff summaries served from the cache");

    /// <summary>Verifications of the file watcher's view, by outcome (<c>agreed</c>, <c>mismatch</c>, <c>inconclusive</c>): a mismatch is a change the watcher missed.</summary>
    public static readonly Counter<long> WatchVerifications =
        Meter.CreateCounter<long>("agentsnapshots.watch.verifications", "{verification}", "Verifications of the file watcher's view against a full walk, by outcome");

    /// <summary>Paths a verification found the watcher had missed (healed by a full walk on the next track).</summary>
    public static readonly Counter<long> WatchMissedPaths =
        Meter.CreateCounter<long>("agentsnapshots.watch.missed_paths", "{path}", "Paths verifications found the file watcher had missed");

    /// <summary>Wall time of one verification walk.</summary>
    public static readonly Histogram<double> WatchVerificationDuration =
        Meter.CreateHistogram<double>("agentsnapshots.watch.verification.duration", "s", "Wall time of one verification of the file watcher's view");

    /// <summary>Summaries that had to be computed.</summary>
    public static readonly Counter<long> SummaryCacheMisses =
        Meter.CreateCounter<long>("agentsnapshots.summary_cache.misses", "{summary}", "Diff summaries computed (not in the cache)");
}
