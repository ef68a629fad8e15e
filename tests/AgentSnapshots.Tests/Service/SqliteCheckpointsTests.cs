using AgentSnapshots.Engine;
using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// The silo's checkpointing of the SQLite write-ahead log, off the write path: committed writes that only the log
/// holds reach the database file soon after, without any writer checkpointing.
/// </summary>
public sealed class SqliteCheckpointsTests
{
    [Fact]
    public async Task Writes_that_only_the_log_holds_reach_the_database_file_without_a_writer_checkpointing()
    {
        using var temp = new TempDirectory("as-checkpoints");
        var dataDir = temp.Combine("data");
        SqliteSchema.Apply(dataDir);
        var database = SqliteSchema.DatabasePath(dataDir);

        // A writer that never checkpoints, holding its connection open so closing it checkpoints nothing either.
        using var writer = new SqliteConnection(SqliteSchema.ConnectionStringFor(dataDir));
        writer.Open();
        Execute(writer, "PRAGMA wal_autocheckpoint = 0;");
        Execute(writer, "CREATE TABLE IF NOT EXISTS Filler (Id INTEGER PRIMARY KEY, Payload BLOB);");
        var before = new FileInfo(database).Length;
        for (var i = 0; i < 200; i++)
        {
            using var insert = writer.CreateCommand();
            insert.CommandText = "INSERT INTO Filler (Payload) VALUES (randomblob(4000));";
            insert.ExecuteNonQuery();
        }
        // Committed, in the log only: the database file has not grown.
        Assert.Equal(before, new FileInfo(database).Length);
        Assert.True(new FileInfo(database + "-wal").Length > 200 * 4000);

        var options = Options.Create(new SnapshotsOptions { DataDir = dataDir, WorkspaceRoots = [temp.Path] });
        using var checkpoints = new SqliteCheckpoints(options, NullLogger<SqliteCheckpoints>.Instance);
        await checkpoints.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (new FileInfo(database).Length < before + (200 * 4000) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            await checkpoints.StopAsync(CancellationToken.None);
        }

        Assert.True(new FileInfo(database).Length >= before + (200 * 4000), "the log's pages were copied into the database file");
        using var reader = new SqliteConnection(SqliteSchema.ConnectionStringFor(dataDir));
        reader.Open();
        using var count = reader.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM Filler;";
        Assert.Equal(200L, (long)count.ExecuteScalar()!);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
