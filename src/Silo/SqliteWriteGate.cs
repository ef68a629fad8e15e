namespace AgentSnapshots.Silo;

/// <summary>
/// One write at a time to the SQLite database, shared by the grain storage (<see cref="OneWriterGrainStorage"/>) and
/// the snapshot rows (<see cref="SnapshotRows"/>). SQLite allows one writer per file; a second one gets SQLITE_BUSY,
/// which Microsoft.Data.Sqlite retries after <c>Thread.Sleep(150)</c> on a thread-pool thread. Waiting here holds no
/// thread and never collides inside SQLite. The snapshot rows write through the gate's own long-lived connection
/// (<see cref="SqliteWriter"/>), which only the holder of the gate touches; the grain storage opens its own (the
/// Orleans provider's), and writes rarely (no track writes grain state).
/// </summary>
internal sealed class SqliteWriteGate(string connectionString) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SqliteWriter _writer = new(connectionString);

    public Task WaitAsync(CancellationToken cancellationToken) => _gate.WaitAsync(cancellationToken);

    public void Release() => _gate.Release();

    /// <summary>Runs <paramref name="statements"/> in one transaction on the gate's connection, when no one else writes.</summary>
    public async Task WriteAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _writer.Write(statements);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Closes the connection once the write in progress, if any, is done (closing it under a writer is not safe).
    /// The gate is released again, so a write that comes later fails (the writer is disposed) instead of waiting forever.
    /// </summary>
    public void Dispose()
    {
        _gate.Wait();
        _writer.Dispose();
        _gate.Release();
    }
}
