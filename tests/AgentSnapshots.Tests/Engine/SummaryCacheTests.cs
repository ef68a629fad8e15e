using AgentSnapshots.Engine.Diff;
using AgentSnapshots.Engine;

namespace AgentSnapshots.Tests.Engine;

public sealed class SummaryCacheTests
{
    private static readonly GitObjectId A = GitObjectId.Parse(new string('a', 40));
    private static readonly GitObjectId B = GitObjectId.Parse(new string('b', 40));

    private static TreeDiffSummary Summary(GitObjectId from, GitObjectId to, int patchChars) =>
        new(from, to, 1, 0, 1, 0, [new FileDiffSummary("f", ChangeStatus.Modified, 1, 0, true, false, 1, 2, new string('+', patchChars), false)]);

    [Fact]
    public void A_summary_is_found_for_the_same_store_and_trees_only()
    {
        var cache = new SummaryCache(1 << 20);
        var s = Summary(A, B, 10);
        cache.Add("store1", A, B, s);
        Assert.True(cache.TryGet("store1", A, B, out var hit));
        Assert.Same(s, hit);
        Assert.False(cache.TryGet("store2", A, B, out _));
        Assert.False(cache.TryGet("store1", B, A, out _));
        Assert.Equal(1, cache.Hits);
        Assert.Equal(2, cache.Misses);
    }

    [Fact]
    public void The_least_recently_used_summaries_go_first_when_over_budget()
    {
        // Each summary is about 20 KB by the estimate; the budget holds two.
        var cache = new SummaryCache(45_000);
        var ids = Enumerable.Range(0, 3).Select(i => GitObjectId.Parse(i.ToString("x40", System.Globalization.CultureInfo.InvariantCulture))).ToList();
        cache.Add("s", A, ids[0], Summary(A, ids[0], 10_000));
        cache.Add("s", A, ids[1], Summary(A, ids[1], 10_000));
        Assert.True(cache.TryGet("s", A, ids[0], out _)); // 0 is now the most recent
        cache.Add("s", A, ids[2], Summary(A, ids[2], 10_000));
        Assert.Equal(2, cache.Count);
        Assert.True(cache.TryGet("s", A, ids[0], out _));
        Assert.False(cache.TryGet("s", A, ids[1], out _));
        Assert.True(cache.TryGet("s", A, ids[2], out _));

        // One larger than the whole budget is not kept at all.
        cache.Add("s", B, A, Summary(B, A, 100_000));
        Assert.False(cache.TryGet("s", B, A, out _));
    }
}
