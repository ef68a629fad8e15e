namespace AgentSnapshots.Silo;

/// <summary>
/// One write at a time to the SQLite database, shared by the grain storage (<see cref="OneWriterGrainStorage"/>) and
/// the snapshot rows (<see cref="SnapshotRows"/>). SQLite allows one writer per file; a second one gets SQLITE_BUSY,
/// which Microsoft.Data.Sqlite retries after <c>Thread.Sleep(150)</c> on a thread-pool thread. Waiting here holds no
/// thread and never collides inside SQLite.
/// </summary>
internal sealed class SqliteWriteGate : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public Task WaitAsync(CancellationToken cancellationToken) => _gate.WaitAsync(cancellationToken);

    public void Release() => _gate.Release();

    public void Dispose() => _gate.Dispose();
}
