namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// Limits how many summaries a silo computes at once, so the diff engine's per-diff memory budget times this
/// number bounds the silo's diff memory. Waiting callers queue; a cancelled wait takes no slot.
/// </summary>
public sealed class DiffGate(int slots) : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(Math.Max(1, slots), Math.Max(1, slots));

    public int Slots { get; } = Math.Max(1, slots);

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken = default)
    {
        await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(_semaphore);
    }

    public void Dispose() => _semaphore.Dispose();

    private sealed class Slot(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) semaphore.Release();
        }
    }
}
