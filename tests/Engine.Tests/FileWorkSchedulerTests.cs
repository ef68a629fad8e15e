using AgentSnapshots.Engine;

namespace AgentSnapshots.Tests.Engine;

/// <summary>The dedicated threads for file work: never the thread pool's, bounded, nested work cannot deadlock.</summary>
public sealed class FileWorkSchedulerTests
{
    [Fact]
    public async Task Work_runs_on_its_own_threads_never_on_the_thread_pool()
    {
        using var scheduler = new FileWorkScheduler(2, "test work");
        var onPool = await scheduler.Run(() => Thread.CurrentThread.IsThreadPoolThread);
        var name = await scheduler.Run(() => Thread.CurrentThread.Name);
        Assert.False(onPool);
        Assert.StartsWith("test work", name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_most_the_thread_count_runs_at_once_and_the_rest_waits_in_the_queue()
    {
        using var scheduler = new FileWorkScheduler(2, "bounded");
        using var release = new ManualResetEventSlim();
        var running = 0;
        var peak = 0;
        var tasks = Enumerable.Range(0, 6).Select(_ => scheduler.Run(() =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            release.Wait(TimeSpan.FromSeconds(30));
            Interlocked.Decrement(ref running);
            return 0;
        })).ToList();
        while (Volatile.Read(ref running) < 2) await Task.Delay(10);
        Assert.Equal(4, scheduler.Queued);
        release.Set();
        await Task.WhenAll(tasks);
        Assert.Equal(2, peak);
    }

    [Fact]
    public async Task Nested_parallel_work_completes_on_one_thread()
    {
        using var scheduler = new FileWorkScheduler(1, "nested");
        var sum = await scheduler.Run(() =>
        {
            long total = 0;
            Parallel.For(0, 1000, i => Interlocked.Add(ref total, i));
            var inner = Task.Factory.StartNew(() => 7L, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Current);
            return total + inner.Result;
        }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(499_500L + 7, sum);
    }

    [Fact]
    public async Task Work_cancelled_before_it_starts_never_runs()
    {
        using var scheduler = new FileWorkScheduler(1, "cancel");
        using var block = new ManualResetEventSlim();
        var blocker = scheduler.Run(() => block.Wait(TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource();
        var ran = false;
        var queued = scheduler.Run(() => ran = true, cts.Token);
        cts.Cancel();
        block.Set();
        await blocker;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.False(ran);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
