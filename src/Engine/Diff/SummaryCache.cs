using AgentSnapshots.Engine.Objects;

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

    /// <summary>Summaries being computed now, so a second caller asking for the same pair waits for the first one's.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Store, GitObjectId From, GitObjectId To), Task<TreeDiffSummary>> _computing = new();

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

    /// <summary>
    /// The cached summary of the pair, or the one being computed for another caller (an agent's diff of a step and
    /// the step's own stats ask for the same pair at once), or the one <paramref name="compute"/> returns (cached by
    /// it). A caller that stops waiting leaves the computation to run; if the computing caller gives up, a waiting
    /// one computes it itself.
    /// </summary>
    public async Task<TreeDiffSummary> GetOrComputeAsync(string store, GitObjectId from, GitObjectId to,
        Func<Task<TreeDiffSummary>> compute, CancellationToken cancellationToken)
    {
        var key = (store, from, to);
        while (true)
        {
            if (TryGet(store, from, to, out var cached)) return cached;
            var mine = new TaskCompletionSource<TreeDiffSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
            var running = _computing.GetOrAdd(key, mine.Task);
            if (running != mine.Task)
            {
                try
                {
                    return await running.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue;
                }
            }
            try
            {
                var summary = await compute();
                mine.SetResult(summary);
                return summary;
            }
            catch (OperationCanceledException)
            {
                mine.SetCanceled(CancellationToken.None);
                throw;
            }
            catch (Exception e)
            {
                mine.SetException(e);
                // Observed here: with no caller waiting, the failure is this caller's alone to report.
                _ = mine.Task.Exception;
                throw;
            }
            finally
            {
                _computing.TryRemove(KeyValuePair.Create(key, mine.Task));
            }
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
