using System.Collections.Concurrent;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// The parallel walk's work sharing: on the silo's <see cref="FileWorkScheduler"/> its helpers take that scheduler's
/// threads and no others (so Snapshots:MaxConcurrentSnapshots bounds the silo's file work), and on a one-thread
/// scheduler the walk finishes alone; used directly (no scheduler), helpers never take thread-pool threads.
/// </summary>
public sealed class ParallelWorkTests
{
    private const int Items = 4095; // a full binary tree of depth 12

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task On_a_file_work_scheduler_every_item_runs_on_its_threads(int threads)
    {
        using var scheduler = new FileWorkScheduler(threads, "walk test");
        var (names, _) = await scheduler.Run(RunTree).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.Equal(Items, names.Count);
        Assert.All(names, n => Assert.StartsWith("walk test", n, StringComparison.Ordinal));
        Assert.InRange(names.Distinct().Count(), 1, threads);
    }

    [Fact]
    public async Task Used_directly_its_helpers_are_not_thread_pool_threads()
    {
        var (names, anyOnThreadPool) = await Task.Factory.StartNew(RunTree, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.Equal(Items, names.Count);
        Assert.False(anyOnThreadPool);
    }

    [Fact]
    public async Task A_snapshot_on_a_one_thread_scheduler_finishes_and_matches_git()
    {
        using var ws = new WorkspaceFixture();
        for (var i = 0; i < 400; i++) ws.Write($"d{i % 20}/e{i % 7}/f{i}.txt", "file " + i);
        using var scheduler = new FileWorkScheduler(1, "one");
        var taken = await scheduler.Run(() => ws.Workspace.Snapshot()).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.Equal(400, taken.Files);
        Assert.Equal(Git.WriteTreeOf(ws.Root), taken.Tree.ToString());
    }

    /// <summary>Walks a binary tree of <see cref="Items"/> items: the name of the thread each ran on, and whether any ran on a thread-pool thread.</summary>
    private static (List<string> Names, bool AnyOnThreadPool) RunTree()
    {
        var names = new ConcurrentBag<string>();
        var onPool = 0;
        ParallelWork<int>.Run(0, (item, work) =>
        {
            names.Add(Thread.CurrentThread.Name ?? "(unnamed)");
            if (Thread.CurrentThread.IsThreadPoolThread) Interlocked.Exchange(ref onPool, 1);
            // A little work per item, so helpers have something to take.
            Thread.SpinWait(2000);
            if (2 * item + 2 < Items)
            {
                work.Push(2 * item + 1);
                work.Push(2 * item + 2);
            }
        }, static _ => { }, maxWorkers: 4, CancellationToken.None);
        return ([.. names], onPool != 0);
    }
}
