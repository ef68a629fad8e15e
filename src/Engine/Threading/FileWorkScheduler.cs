using System.Collections.Concurrent;

namespace AgentSnapshots.Engine;

/// <summary>
/// A fixed set of dedicated threads for blocking file work (walking, hashing, inflating, writing files). Work queued
/// here never occupies a thread-pool thread, so however many snapshots, restores and diffs are in flight, the
/// Orleans scheduler and the cluster's membership probes (which run on the thread pool) always find a free thread.
/// Work beyond the thread count waits in the queue. Code running here that starts tasks (Parallel.ForEach with
/// default options, Task.Factory.StartNew) runs them here too; a thread that waits for such a task runs it itself
/// if no other thread has taken it, so nested work cannot deadlock the pool.
/// </summary>
public sealed class FileWorkScheduler : TaskScheduler, IDisposable
{
    [ThreadStatic]
    private static FileWorkScheduler? t_owner;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;

    public FileWorkScheduler(int threads, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"{name} {i + 1}" };
            _threads[i].Start();
        }
    }

    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>Tasks queued and not yet started.</summary>
    public int Queued => _queue.Count;

    /// <summary>Runs <paramref name="work"/> on one of this scheduler's threads; cancelled before it starts, it never runs.</summary>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.DenyChildAttach, this);

    protected override void QueueTask(Task task) => _queue.Add(task);

    // A task already queued stays queued too; whichever thread gets to it first runs it, the other finds it done.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        t_owner == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Work()
    {
        t_owner = this;
        try
        {
            foreach (var task in _queue.GetConsumingEnumerable())
            {
                TryExecuteTask(task);
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed while waiting: the silo is stopping.
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
        _queue.Dispose();
    }
}
