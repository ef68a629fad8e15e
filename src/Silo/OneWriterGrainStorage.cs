using Orleans.Storage;

namespace AgentSnapshots.Silo;

/// <summary>
/// The SQLite grain storage with one write at a time, through the gate the snapshot rows share
/// (<see cref="SqliteWriteGate"/>). SQLite allows one writer per database file; a second one gets SQLITE_BUSY, which
/// Microsoft.Data.Sqlite retries after <c>Thread.Sleep(150)</c> on the calling thread, a thread-pool thread. Under the
/// load run (32 tracks at once) half the silo's thread time went to those sleeps: tracks waited in multiples of
/// 150 ms and the pool ran short of threads. Reads are not gated: in WAL mode they do not block or get blocked by the
/// writer.
/// </summary>
internal sealed class OneWriterGrainStorage(IGrainStorage inner, SqliteWriteGate writer) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
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

    private async Task OneAtATime(Func<Task> write)
    {
        await writer.WaitAsync(CancellationToken.None);
        try
        {
            await write();
        }
        finally
        {
            writer.Release();
        }
    }
}
