using AgentSnapshots.Engine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo;

/// <summary>
/// Checkpoints the SQLite grain storage's write-ahead log off the write path. Writes commit to the log without an
/// fsync (<c>Sql/SQLite/Storage.sql</c>); a checkpoint copies the log into the database and fsyncs it, which on a
/// disk busy writing object files took up to half a second. SQLite runs one in the writer whose commit takes the log
/// past 1,000 pages, and there it held the one write at a time and every track queued behind it (write waits of
/// 180 ms at p99 in the load run). Here a passive checkpoint, which never blocks writes or reads, runs whenever the
/// log grew, at most every <see cref="Every"/>, so the log stays short and a writer rarely has to.
/// </summary>
internal sealed partial class SqliteCheckpoints(IOptions<SnapshotsOptions> options, ILogger<SqliteCheckpoints> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dataDir = options.Value.DataDir;
        var log = new FileInfo(SqliteSchema.DatabasePath(dataDir) + "-wal");
        var checkpointed = DateTime.MinValue;
        var failing = false;
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            log.Refresh();
            // No log yet (the schema step creates the database), or nothing written since the last checkpoint.
            if (!log.Exists || log.LastWriteTimeUtc == checkpointed) continue;
            var written = log.LastWriteTimeUtc;
            try
            {
                await Task.Run(() => Checkpoint(dataDir), stoppingToken);
                checkpointed = written;
                failing = false;
            }
            catch (SqliteException e)
            {
                // Logged once until one succeeds again; meanwhile writers checkpoint as SQLite does by itself.
                if (!failing) LogCheckpointFailed(e, log.FullName);
                failing = true;
            }
        }
    }

    /// <summary>One passive checkpoint of the grain storage database under <paramref name="dataDir"/>.</summary>
    private static void Checkpoint(string dataDir)
    {
        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(dataDir));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        command.ExecuteNonQuery();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpointing the grain storage's write-ahead log {LogPath} failed; writes go on and checkpoint it themselves")]
    private partial void LogCheckpointFailed(Exception exception, string logPath);
}
