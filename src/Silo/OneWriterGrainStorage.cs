using Orleans.Storage;

namespace AgentSnapshots.Silo;

/// <summary>
/// The SQLite grain storage with one write at a time. SQLite allows one writer per database file; a second one gets
/// SQLITE_BUSY, which Microsoft.Data.Sqlite retries after <c>Thread.Sleep(150)</c> on the calling thread, a
/// thread-pool thread. Under the load run (32 tracks at once) half the silo's thread time went to those sleeps:
/// tracks waited in multiples of 150 ms and the pool ran short of threads. Writers here wait on an async gate
/// instead, which holds no thread and never collides inside SQLite. Reads are not gated: in WAL mode they do not
/// block or get blocked by the writer.
/// </summary>
internal sealed class OneWriterGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly SemaphoreSlim _writer = new(1, 1);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        OneAtATime(() => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        OneAtATime(() => inner.ClearStateAsync(stateName, grainId, grainState));

    /// <summary>The inner provider initialises itself at silo start (its queries are read then).</summary>
    public void Participate(ISiloLifecycle observer)
    {
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant)
        {
            participant.Participate(observer);
        }
    }

    public void Dispose() => _writer.Dispose();

    private async Task OneAtATime(Func<Task> write)
    {
        await _writer.WaitAsync();
        try
        {
            await write();
        }
        finally
        {
            _writer.Release();
        }
    }
}
