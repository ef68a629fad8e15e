using System.Runtime.ExceptionServices;
using AgentSnapshots.Engine.Threading;

namespace AgentSnapshots.Engine.Snapshotting;

/// <summary>
/// Runs work items that create more work items (directories that hold directories) on up to a set number of
/// threads: the calling one, plus helpers started only once there is work to share. Helpers are queued on the
/// caller's task scheduler, so a walk running on the silo's <see cref="FileWorkScheduler"/> shares its threads
/// (helpers that find no free thread are run, finding nothing left, by the caller when it waits for them) and the
/// silo's file work never takes more threads than Snapshots:MaxConcurrentSnapshots. Items are taken last in,
/// first out, so a walk goes deep first and holds few directory handles open. The first failure stops the rest
/// and is rethrown; items never started are handed to <c>discard</c> so they can release what they hold.
/// </summary>
internal sealed class ParallelWork<T>
{
    private readonly Stack<T> _items = new();
    private readonly object _gate = new();
    private readonly Action<T, ParallelWork<T>> _process;
    private readonly int _maxWorkers;
    private readonly CancellationToken _cancellationToken;
    private readonly TaskScheduler _scheduler;
    private readonly List<Task> _helpers = [];
    private int _active;
    private ExceptionDispatchInfo? _failure;

    private ParallelWork(Action<T, ParallelWork<T>> process, int maxWorkers, CancellationToken cancellationToken)
    {
        _process = process;
        _scheduler = TaskScheduler.Current;
        _maxWorkers = Math.Max(1, Math.Min(maxWorkers, _scheduler.MaximumConcurrencyLevel));
        _cancellationToken = cancellationToken;
    }

    /// <summary>Processes <paramref name="first"/> and everything it pushes; returns when all are done.</summary>
    public static void Run(T first, Action<T, ParallelWork<T>> process, Action<T> discard, int maxWorkers, CancellationToken cancellationToken)
    {
        var work = new ParallelWork<T>(process, maxWorkers, cancellationToken);
        work._items.Push(first);
        using (cancellationToken.Register(() => work.Wake()))
        {
            work.Work();
            work.WaitForHelpers();
        }
        while (work._items.TryPop(out var left)) discard(left);
        work._failure?.Throw();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Queues another item; starts a helper thread when items wait and fewer than the maximum are running.</summary>
    public void Push(T item)
    {
        lock (_gate)
        {
            _items.Push(item);
            if (_items.Count > 1 && _helpers.Count < _maxWorkers - 1 && _failure is null)
            {
                // Outside a dedicated scheduler (the engine used directly) a helper gets its own thread, not a pool thread.
                var options = _scheduler == TaskScheduler.Default ? TaskCreationOptions.LongRunning : TaskCreationOptions.None;
                _helpers.Add(Task.Factory.StartNew(Work, CancellationToken.None, options, _scheduler));
            }
            Monitor.Pulse(_gate);
        }
    }

    private void WaitForHelpers()
    {
        while (true)
        {
            Task[] started;
            lock (_gate) started = [.. _helpers];
            Task.WaitAll(started, CancellationToken.None);
            lock (_gate)
            {
                if (_helpers.Count == started.Length) return;
            }
        }
    }

    private void Wake()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private void Work()
    {
        while (true)
        {
            T item;
            lock (_gate)
            {
                while (_items.Count == 0 && _active > 0 && _failure is null && !_cancellationToken.IsCancellationRequested)
                {
                    Monitor.Wait(_gate);
                }
                if (_items.Count == 0 || _failure is not null || _cancellationToken.IsCancellationRequested)
                {
                    Monitor.PulseAll(_gate);
                    return;
                }
                item = _items.Pop();
                _active++;
            }
            try
            {
                _process(item, this);
            }
            catch (Exception e)
            {
                lock (_gate) _failure ??= ExceptionDispatchInfo.Capture(e);
            }
            lock (_gate)
            {
                _active--;
                if (_active == 0 || _failure is not null) Monitor.PulseAll(_gate);
            }
        }
    }
}
