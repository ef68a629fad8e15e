using System.Diagnostics;

namespace AgentSnapshots.Bench;

/// <summary>Latencies per operation kind and the errors of a run of many concurrent operations (load, http).</summary>
internal sealed class LatencyRecorder
{
    private readonly Dictionary<string, List<double>> _latencies = new(StringComparer.Ordinal);
    private readonly List<string> _errors = [];

    public int ErrorCount
    {
        get
        {
            lock (_errors) return _errors.Count;
        }
    }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors) return [.. _errors];
        }
    }

    public async Task<T> Time<T>(string kind, Func<Task<T>> operation)
    {
        var sw = Stopwatch.StartNew();
        var result = await operation();
        Add(kind, sw.Elapsed.TotalMilliseconds);
        return result;
    }

    public void Add(string kind, double milliseconds)
    {
        lock (_latencies)
        {
            if (!_latencies.TryGetValue(kind, out var list))
            {
                _latencies[kind] = list = [];
            }
            list.Add(milliseconds);
        }
    }

    public void Error(string what)
    {
        lock (_errors) _errors.Add(what);
    }

    /// <summary>Each kind's latencies, sorted.</summary>
    public Dictionary<string, double[]> Snapshot()
    {
        lock (_latencies)
        {
            return _latencies.ToDictionary(p => p.Key, p => p.Value.Order().ToArray(), StringComparer.Ordinal);
        }
    }

    /// <summary>The latency at quantile <paramref name="p"/> of operation <paramref name="kind"/> (0 if none ran).</summary>
    public double Percentile(string kind, double p) => Snapshot().TryGetValue(kind, out var sorted) ? Percentile(sorted, p) : 0;

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>A table of count, p50, p99 and max per operation kind.</summary>
    public void PrintLatencies()
    {
        Console.WriteLine($"   {"operation",-9} {"count",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
        foreach (var (kind, sorted) in Snapshot().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"   {kind,-9} {sorted.Length,8:N0} {Percentile(sorted, 0.50),8:F1} {Percentile(sorted, 0.99),8:F1} {sorted[^1],8:F1}");
        }
    }

    /// <summary>The error count, the first ten errors, and whether the zero-errors target is met.</summary>
    public void PrintErrors()
    {
        var errors = Errors;
        Console.WriteLine($"   errors: {errors.Count}");
        foreach (var error in errors.Take(10))
        {
            Console.WriteLine("     " + error);
        }
        Console.WriteLine(errors.Count == 0 ? "   met  zero errors" : "   MISS zero errors");
    }
}
