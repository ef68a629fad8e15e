using System.Diagnostics.Metrics;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Service;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Our meter's instruments record on a real track and diff (the shared one-node service cluster). The listener
/// counts only measurements made while serving this test's calls: they carry a marker in Orleans' request context,
/// which flows from the call into the grains it reaches. Other tests' traffic on the same cluster (running in
/// parallel) carries none, so if our code recorded nothing for these calls, the test fails.
/// </summary>
public sealed class MetricsTests(ServiceClusterFixture fixture)
{
    private const string MarkerKey = "agentsnapshots-tests-metrics";

    [Fact]
    public async Task Track_and_diff_record_snapshot_diff_and_cache_instruments_for_their_own_calls()
    {
        var marker = Guid.NewGuid().ToString("N");
        var recorded = new Dictionary<string, (double Sum, int Count)>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SnapshotMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Add(Instrument instrument, double value)
        {
            if (!Equals(RequestContext.Get(MarkerKey), marker))
            {
                return;
            }
            lock (recorded)
            {
                var (sum, count) = recorded.GetValueOrDefault(instrument.Name);
                recorded[instrument.Name] = (sum + value, count + 1);
            }
        }
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => Add(i, v));
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => Add(i, v));
        listener.Start();

        // Unmarked traffic at the same time: a bigger snapshot whose bytes must not be counted.
        var other = fixture.NewWorkspace("metrics-other");
        File.WriteAllText(Path.Combine(other, "noise.txt"), new string('n', 10_000));
        var noise = fixture.Grains.GetGrain<ISessionGrain>("metrics-noise").TrackAsync(other, null);

        var ws = fixture.NewWorkspace("metrics");
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\n");
        var session = fixture.Grains.GetGrain<ISessionGrain>("metrics");
        RequestContext.Set(MarkerKey, marker);
        try
        {
            var first = await session.TrackAsync(ws, "one");
            File.WriteAllText(Path.Combine(ws, "a.txt"), "one\ntwo\n");
            var second = await session.TrackAsync(null, "two");
            await session.DiffAsync(first.Hash.AsHash(), second.Hash.AsHash());
            await session.DiffAsync(first.Hash.AsHash(), second.Hash.AsHash());
        }
        finally
        {
            RequestContext.Remove(MarkerKey);
        }
        await noise;

        lock (recorded)
        {
            var shown = string.Join(", ", recorded.Select(r => $"{r.Key}={r.Value}"));
            // Exactly the two versions of a.txt were read (4 + 8 bytes), nothing of the unmarked snapshot.
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.snapshot.bytes").Sum == 4 + 8, shown);
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.snapshot.duration") is { Count: >= 2, Sum: > 0 }, shown);
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.diff.duration") is { Count: >= 1, Sum: > 0 }, shown);
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.diff.bytes_streamed").Sum >= 4 + 8, shown);
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.summary_cache.misses").Sum >= 1, shown);
            Assert.True(recorded.GetValueOrDefault("agentsnapshots.summary_cache.hits").Sum >= 1, shown);
        }
    }
}
