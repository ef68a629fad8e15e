using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// The snapshot rows' SQLite writes on the write gate's one long-lived connection, each statement prepared once and
/// run again with new values (<see cref="SqliteWriter"/>): on a real database file, many writes read back exactly;
/// a write that failed leaves nothing behind and the next one succeeds on a new connection.
/// </summary>
public sealed class SqliteWriterTests
{
    private const string ServiceId = "writer-tests";

    [Fact]
    public async Task Many_writes_of_several_sessions_with_changing_values_read_back_exactly()
    {
        using var temp = new TempDirectory("as-writer");
        var dataDir = temp.Combine("data");
        SqliteSchema.Apply(dataDir);
        var (rows, gate) = Open(dataDir);
        string[] sessions = ["s-a", "s-b", "s-c"];
        var expected = sessions.ToDictionary(s => s, _ => new SortedDictionary<long, HistoryRow>());
        var catalogue = new Dictionary<string, CatalogueRow>();

        await using (rows)
        using (gate)
        {
            for (var track = 0; track < 150; track++)
            {
                foreach (var session in sessions)
                {
                    var history = expected[session];
                    var sequence = (long)track + 1;
                    // Values that switch between null and not, so a value left over from the statement's last use
                    // would show: a label every third track, a step every other, a pending base otherwise.
                    var step = track % 2 == 0 ? new StepRow(sequence, track % 7, track * 11L, track * 3L, track % 4 == 0) : null;
                    var row = new HistoryRow(session, sequence, Hash(session, track), track % 3 == 0 ? $"{session} step {track}" : null,
                        1_700_000_000_000 + track, track, track % 5, step is null ? Hash(session, track - 1) : null, step);
                    var entry = new CatalogueRow("ws-" + session, row.Hash, sequence, row.TakenMs, track % 10 == 0, $"0:{sequence}");
                    var batch = new RowBatch();
                    batch.History.Add(row);
                    batch.Catalogue.Add(entry);
                    if (track % 25 == 0)
                    {
                        batch.Sessions.Add(new SessionRow(session, "ws-" + session, temp.Combine(session), track));
                        batch.Workspaces.Add(new WorkspaceRow("ws-" + session, temp.Combine(session), $"[\"{session}\"]", track, track / 2, "[]"));
                    }
                    // The step of the previous track, computed since: set on its row, ending its pending state.
                    if (history.TryGetValue(sequence - 1, out var previous) && previous.Step is null)
                    {
                        var computed = new StepRow(sequence - 1, track, track + 1L, track + 2L, Exact: true);
                        batch.Steps.Add((session, computed));
                        history[sequence - 1] = previous with { Step = computed, PendingFrom = null };
                    }
                    // Every 20th track drops the snapshot of 10 tracks before from the history and the catalogue.
                    if (track % 20 == 19)
                    {
                        var dropped = history[sequence - 10];
                        batch.DeletedHistory.Add((session, dropped.Sequence));
                        batch.DeletedCatalogue.Add(("ws-" + session, dropped.Hash));
                        history.Remove(dropped.Sequence);
                        catalogue.Remove(dropped.Hash);
                    }
                    history[sequence] = row;
                    catalogue[row.Hash] = entry;
                    await rows.WriteAsync(batch);
                }
            }

            foreach (var session in sessions)
            {
                var stored = await rows.ReadSessionAsync(session);
                Assert.NotNull(stored);
                Assert.Equal(new SessionRow(session, "ws-" + session, temp.Combine(session), 125), stored.Header);
                Assert.Equal(expected[session].Values, stored.History);
                var workspace = await rows.ReadWorkspaceAsync("ws-" + session);
                Assert.NotNull(workspace);
                Assert.Equal(new WorkspaceRow("ws-" + session, temp.Combine(session), $"[\"{session}\"]", 125, 62, "[]"), workspace.Header);
                Assert.Equal(catalogue.Values.Where(e => e.WorkspaceId == "ws-" + session).OrderBy(e => e.Position), workspace.Entries);
            }

            using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(dataDir));
            connection.Open();
            // The writer, still open, holds no read snapshot between writes: a full checkpoint is not blocked by it.
            Assert.Equal(["0"], Strings(connection, "PRAGMA wal_checkpoint(TRUNCATE)").Take(1));
            Assert.Equal(["ok"], Strings(connection, "PRAGMA integrity_check"));
        }
    }

    [Fact]
    public async Task A_batch_that_fails_half_way_leaves_nothing_and_the_next_write_succeeds_on_a_new_connection()
    {
        using var temp = new TempDirectory("as-writer-fail");
        var dataDir = temp.Combine("data");
        SqliteSchema.Apply(dataDir);
        var (rows, gate) = Open(dataDir);
        await using (rows)
        using (gate)
        {
            await rows.WriteAsync(Track("s", 1));
            // The first statement of this batch succeeds; the second breaks a NOT NULL constraint, which SQLite fails
            // alone, leaving the transaction open on the connection. Reused, that connection would commit the first
            // row with the next write (or refuse to begin a transaction inside one).
            var broken = Track("s", 2);
            broken.History.Add(new HistoryRow("s", 3, null!, null, 0, 0, 0, null, null));
            var failure = await Assert.ThrowsAsync<SqliteException>(() => rows.WriteAsync(broken));
            Assert.Equal(19, failure.SqliteErrorCode); // SQLITE_CONSTRAINT

            await rows.WriteAsync(Track("s", 4));
            await rows.WriteAsync(Track("s", 5));

            var stored = await rows.ReadSessionAsync("s");
            Assert.NotNull(stored);
            Assert.Equal([1L, 4L, 5L], stored.History.Select(r => r.Sequence));
            Assert.Equal([Hash("s", 1), Hash("s", 4), Hash("s", 5)], stored.History.Select(r => r.Hash));
        }
    }

    [Fact]
    public async Task A_write_refused_while_another_process_held_the_database_succeeds_once_it_is_free_and_loses_nothing()
    {
        using var temp = new TempDirectory("as-writer-busy");
        var dataDir = temp.Combine("data");
        SqliteSchema.Apply(dataDir);
        // A one-second busy timeout, so the refusal comes quickly (the silo waits 30 s).
        var connectionString = new SqliteConnectionStringBuilder(SqliteSchema.ConnectionStringFor(dataDir)) { DefaultTimeout = 1 }.ToString();
        var (rows, gate) = Open(dataDir, connectionString);
        await using (rows)
        using (gate)
        {
            await rows.WriteAsync(Track("s", 1));
            using (var other = new SqliteConnection(connectionString))
            {
                other.Open();
                using var hold = other.BeginTransaction(deferred: false);
                Execute(other, "UPDATE snapshots_history SET label = 'held' WHERE seq = 1", hold);

                var busy = await Assert.ThrowsAsync<SqliteException>(() => rows.WriteAsync(Track("s", 2)));
                Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY
                hold.Commit();
            }

            await rows.WriteAsync(Track("s", 3));

            var stored = await rows.ReadSessionAsync("s");
            Assert.NotNull(stored);
            Assert.Equal([(1L, "held"), (3L, "track 3")], stored.History.Select(r => (r.Sequence, r.Label)));
        }

        // Disposed (the silo stopping): the connection is closed, and a late write fails at once instead of waiting.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => gate.WriteAsync([], CancellationToken.None));
    }

    private static (SnapshotRows Rows, SqliteWriteGate Gate) Open(string dataDir, string? connectionString = null)
    {
        connectionString ??= SqliteSchema.ConnectionStringFor(dataDir);
        var gate = new SqliteWriteGate(connectionString);
        return (new SnapshotRows(SqliteFactory.Instance.CreateDataSource(connectionString), ServiceId, gate), gate);
    }

    private static RowBatch Track(string session, long sequence)
    {
        var batch = new RowBatch();
        batch.Sessions.Add(new SessionRow(session, "w", "/w", sequence));
        batch.History.Add(new HistoryRow(session, sequence, Hash(session, (int)sequence), $"track {sequence}", sequence, 1, 0, null, null));
        return batch;
    }

    private static string Hash(string session, int track) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{session}/{track}")))[..40];

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<string> Strings(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return values;
    }
}
