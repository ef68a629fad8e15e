namespace AgentSnapshots.Engine.Threading;

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

    /// <summary>Tasks waiting for a thread; also the lock that guards it and <see cref="_stopping"/>.</summary>
    private readonly Queue<Task> _queue = new();
    private readonly Thread[] _threads;
    private bool _stopping;

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
    public int Queued
    {
        get
        {
            lock (_queue) return _queue.Count;
        }
    }

    /// <summary>Runs <paramref name="work"/> on one of this scheduler's threads; cancelled before it starts, it never runs.</summary>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.DenyChildAttach, this);

    protected override void QueueTask(Task task)
    {
        lock (_queue)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _queue.Enqueue(task);
            Monitor.Pulse(_queue);
        }
    }

    // A task already queued stays queued too; whichever thread gets to it first runs it, the other finds it done.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        t_owner == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_queue) return _queue.ToArray();
    }

    /// <summary>
    /// Runs queued tasks until the scheduler is disposed and its queue is empty. An idle thread waits on the queue's
    /// monitor without spinning: on a silo whose cores are all busy, a file thread spinning for work (as a
    /// BlockingCollection's wait does) takes CPU from the threads that would give it some.
    /// </summary>
    private void Work()
    {
        t_owner = this;
        while (true)
        {
            Task task;
            lock (_queue)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_queue);
                if (!_queue.TryDequeue(out task!)) return;
            }
            TryExecuteTask(task);
        }
    }

    public void Dispose()
    {
        lock (_queue)
        {
            _stopping = true;
            Monitor.PulseAll(_queue);
        }
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }
}
