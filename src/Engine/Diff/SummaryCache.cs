namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// Summaries already computed, keyed by store and tree pair. Trees are content-addressed, so a summary of two
/// trees never goes stale; agents re-summarise the same turn every step, and the second ask costs nothing.
/// Least-recently-used entries are dropped when the estimated size passes the budget. Thread-safe.
/// One cache serves one set of summary caps (a silo's options); summaries under other caps need another cache.
/// </summary>
public sealed class SummaryCache(long budgetBytes)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Store, GitObjectId From, GitObjectId To), LinkedListNode<Entry>> _index = [];
    private readonly LinkedList<Entry> _recency = new();
    private long _bytes;

    private sealed record Entry((string Store, GitObjectId From, GitObjectId To) Key, TreeDiffSummary Summary, long Bytes);

    public long Hits { get; private set; }

    public long Misses { get; private set; }

    public int Count
    {
        get
        {
            lock (_lock) return _index.Count;
        }
    }

    public bool TryGet(string store, GitObjectId from, GitObjectId to, out TreeDiffSummary summary)
    {
        lock (_lock)
        {
            if (_index.TryGetValue((store, from, to), out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                Hits++;
                summary = node.Value.Summary;
                return true;
            }
            Misses++;
            summary = null!;
            return false;
        }
    }

    public void Add(string store, GitObjectId from, GitObjectId to, TreeDiffSummary summary)
    {
        var bytes = EstimateBytes(summary);
        if (bytes > budgetBytes) return;
        var key = (store, from, to);
        lock (_lock)
        {
            if (_index.ContainsKey(key)) return;
            var node = _recency.AddFirst(new Entry(key, summary, bytes));
            _index[key] = node;
            _bytes += bytes;
            while (_bytes > budgetBytes && _recency.Last is { } last)
            {
                _recency.RemoveLast();
                _index.Remove(last.Value.Key);
                _bytes -= last.Value.Bytes;
            }
        }
    }

    /// <summary>Strings dominate a summary's size: two bytes a character plus a fixed overhead per file.</summary>
    private static long EstimateBytes(TreeDiffSummary s) =>
        256 + 2L * 80 + s.Files.Sum(f => 160 + 2L * (f.File.Length + f.Patch.Length));
}
