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

    [Fact]
    public async Task Callers_asking_for_a_pair_being_computed_wait_for_that_one_computation()
    {
        var cache = new SummaryCache(1 << 20);
        var release = new TaskCompletionSource();
        var computed = 0;
        async Task<TreeDiffSummary> Compute()
        {
            Interlocked.Increment(ref computed);
            await release.Task;
            var summary = Summary(A, B, 10);
            cache.Add("s", A, B, summary);
            return summary;
        }

        var first = cache.GetOrComputeAsync("s", A, B, Compute, CancellationToken.None);
        var second = cache.GetOrComputeAsync("s", A, B, Compute, CancellationToken.None);
        release.SetResult();
        var results = await Task.WhenAll(first, second);

        Assert.Equal(1, computed);
        Assert.Same(results[0], results[1]);
        // Computed and cached: a later caller computes nothing.
        Assert.Same(results[0], await cache.GetOrComputeAsync("s", A, B, Compute, CancellationToken.None));
        Assert.Equal(1, computed);
    }

    [Fact]
    public async Task When_the_computing_caller_gives_up_a_waiting_one_computes_it_itself()
    {
        var cache = new SummaryCache(1 << 20);
        using var giveUp = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var computed = 0;
        async Task<TreeDiffSummary> Compute(CancellationToken token)
        {
            Interlocked.Increment(ref computed);
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("not reached");
        }

        var first = cache.GetOrComputeAsync("s", A, B, () => Compute(giveUp.Token), giveUp.Token);
        await started.Task;
        var second = cache.GetOrComputeAsync("s", A, B, () => Task.FromResult(Summary(A, B, 5)), CancellationToken.None);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(5, (await second).Files[0].Patch.Length);
        Assert.Equal(1, computed);
    }

    [Fact]
    public async Task A_failed_computation_fails_its_waiters_with_the_same_error_and_is_not_kept()
    {
        var cache = new SummaryCache(1 << 20);
        var release = new TaskCompletionSource();
        async Task<TreeDiffSummary> Fail()
        {
            await release.Task;
            throw new InvalidDataException("corrupt tree");
        }

        var first = cache.GetOrComputeAsync("s", A, B, Fail, CancellationToken.None);
        var second = cache.GetOrComputeAsync("s", A, B, Fail, CancellationToken.None);
        release.SetResult();

        Assert.Equal("corrupt tree", (await Assert.ThrowsAsync<InvalidDataException>(() => first)).Message);
        Assert.Equal("corrupt tree", (await Assert.ThrowsAsync<InvalidDataException>(() => second)).Message);
        // Nothing was kept: the next caller computes afresh.
        var afresh = await cache.GetOrComputeAsync("s", A, B, () => Task.FromResult(Summary(A, B, 7)), CancellationToken.None);
        Assert.Equal(7, afresh.Files[0].Patch.Length);
    }
}
