using System.Data;
using System.Data.Common;

namespace AgentSnapshots.Silo;

/// <summary>
/// Sessions' histories and workspaces' catalogues as rows (<see cref="ISnapshotRows"/>), on SQLite or PostgreSQL
/// through ADO.NET (<see cref="SnapshotRowsSql"/>). A batch is one transaction: on PostgreSQL one round trip (a
/// DbBatch, which the server runs as one implicit transaction); on SQLite one transaction on the write gate's own
/// connection, with its statements prepared once (<see cref="SqliteWriteGate"/>, <see cref="SqliteWriter"/>), one
/// writer at a time, shared with the grain storage, so no writer meets SQLITE_BUSY. Reads go in pages of
/// <see cref="SnapshotRowsSql.ReadPage"/> rows, on pooled connections of the data source.
/// </summary>
internal sealed class SnapshotRows(DbDataSource source, string serviceId, SqliteWriteGate? writeGate) : ISnapshotRows, IAsyncDisposable
{
    public ValueTask DisposeAsync() => source.DisposeAsync();

    public async Task<StoredSession?> ReadSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        SessionRow header;
        await using (var command = Command(connection, SnapshotRowsSql.ReadSession, P("session", sessionId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken)) return null;
            header = new SessionRow(sessionId, NullableString(reader, 0), NullableString(reader, 1), reader.GetInt64(2));
        }
        var history = await ReadPagedAsync(connection, SnapshotRowsSql.ReadHistory, P("session", sessionId), 0L, reader =>
        {
            var sequence = reader.GetInt64(0);
            var step = reader.IsDBNull(7) ? null : new StepRow(sequence, reader.GetInt32(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt32(10) != 0);
            return (new HistoryRow(sessionId, sequence, reader.GetString(1), NullableString(reader, 2), reader.GetInt64(3),
                reader.GetInt32(4), reader.GetInt32(5), NullableString(reader, 6), step), sequence);
        }, cancellationToken);
        return new StoredSession(header, history);
    }

    public async Task<StoredWorkspace?> ReadWorkspaceAsync(string workspaceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        WorkspaceRow header;
        await using (var command = Command(connection, SnapshotRowsSql.ReadWorkspace, P("workspace", workspaceId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken)) return null;
            header = new WorkspaceRow(workspaceId, NullableString(reader, 0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4));
        }
        var entries = await ReadPagedAsync(connection, SnapshotRowsSql.ReadCatalogue, P("workspace", workspaceId), long.MinValue, reader =>
        {
            var position = reader.GetInt64(1);
            return (new CatalogueRow(workspaceId, reader.GetString(0), position, reader.GetInt64(2), reader.GetInt32(3) != 0, reader.GetString(4)), position);
        }, cancellationToken);
        return new StoredWorkspace(header, entries);
    }

    /// <summary>Every row <paramref name="sql"/> selects for <paramref name="owner"/>, in pages ordered by the key <paramref name="read"/> returns with each.</summary>
    private async Task<List<T>> ReadPagedAsync<T>(DbConnection connection, string sql, SqlValue owner, long first,
        Func<DbDataReader, (T Row, long Key)> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        var after = first;
        while (true)
        {
            var count = 0;
            await using (var command = Command(connection, sql, owner, P("after", after), P("limit", SnapshotRowsSql.ReadPage)))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    count++;
                    (var row, after) = read(reader);
                    rows.Add(row);
                }
            }
            if (count < SnapshotRowsSql.ReadPage) return rows;
        }
    }

    public async Task WriteAsync(RowBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty) return;
        var statements = Statements(batch);
        if (writeGate is not null)
        {
            await writeGate.WriteAsync(statements, cancellationToken);
            return;
        }
        // One round trip: the server runs a batch sent without a transaction as one implicit transaction.
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var dbBatch = connection.CreateBatch();
        foreach (var statement in statements)
        {
            var command = dbBatch.CreateBatchCommand();
            command.CommandText = statement.Sql;
            AddParameters(command.Parameters, command.CreateParameter, statement.Parameters);
            dbBatch.BatchCommands.Add(command);
        }
        await dbBatch.ExecuteNonQueryAsync(cancellationToken);
    }

    private List<SqlStatement> Statements(RowBatch batch)
    {
        var statements = new List<SqlStatement>(batch.Count);
        foreach (var session in batch.DeletedSessions)
        {
            statements.Add(Statement(SnapshotRowsSql.DeleteSessionHistory, [P("session", session)]));
            statements.Add(Statement(SnapshotRowsSql.DeleteSession, [P("session", session)]));
        }
        foreach (var row in batch.Sessions)
        {
            statements.Add(Statement(SnapshotRowsSql.UpsertSession,
                [P("session", row.SessionId), P("workspace", row.WorkspaceId), P("directory", row.Directory), P("epoch", row.SyncedEpoch)]));
        }
        foreach (var row in batch.History)
        {
            statements.Add(Statement(SnapshotRowsSql.UpsertHistory,
            [
                P("session", row.SessionId), P("seq", row.Sequence), P("hash", row.Hash), P("label", row.Label), P("taken", row.TakenMs),
                P("files", row.Files), P("skipped", row.Skipped), P("pending", row.PendingFrom),
                P("changed", row.Step?.Changed), P("additions", row.Step?.Additions), P("deletions", row.Step?.Deletions),
                P("exact", row.Step is null ? null : row.Step.Exact ? 1 : 0),
            ]));
        }
        foreach (var (session, step) in batch.Steps)
        {
            statements.Add(Statement(SnapshotRowsSql.SetStep,
            [
                P("session", session), P("seq", step.Sequence), P("changed", step.Changed), P("additions", step.Additions),
                P("deletions", step.Deletions), P("exact", step.Exact ? 1 : 0),
            ]));
        }
        foreach (var (session, sequence) in batch.DeletedHistory)
        {
            statements.Add(Statement(SnapshotRowsSql.DeleteHistory, [P("session", session), P("seq", sequence)]));
        }
        foreach (var row in batch.Workspaces)
        {
            statements.Add(Statement(SnapshotRowsSql.UpsertWorkspace,
            [
                P("workspace", row.WorkspaceId), P("directory", row.Directory), P("sessions", row.Sessions),
                P("collected", row.CollectedAtSequence), P("epoch", row.DropEpoch), P("drops", row.Drops),
            ]));
        }
        foreach (var row in batch.Catalogue)
        {
            statements.Add(Statement(SnapshotRowsSql.UpsertCatalogue,
            [
                P("workspace", row.WorkspaceId), P("hash", row.Hash), P("position", row.Position), P("taken", row.TakenMs),
                P("safety", row.Safety ? 1 : 0), P("owners", row.Owners),
            ]));
        }
        foreach (var (workspace, hash) in batch.DeletedCatalogue)
        {
            statements.Add(Statement(SnapshotRowsSql.DeleteCatalogue, [P("workspace", workspace), P("hash", hash)]));
        }
        return statements;
    }

    private DbCommand Command(DbConnection connection, string sql, params IReadOnlyList<SqlValue> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        AddParameters(command.Parameters, command.CreateParameter, Statement(sql, parameters).Parameters);
        return command;
    }

    /// <summary>The statement with its parameters, and the service's id when the text names it (every write and read does).</summary>
    private SqlStatement Statement(string sql, params IReadOnlyList<SqlValue> parameters) =>
        new(sql, sql.Contains("@service", StringComparison.Ordinal) ? [.. parameters, P("service", serviceId)] : parameters);

    private static void AddParameters(DbParameterCollection target, Func<DbParameter> create, IReadOnlyList<SqlValue> parameters)
    {
        foreach (var (name, value, type) in parameters)
        {
            var parameter = create();
            parameter.ParameterName = name;
            parameter.DbType = type;
            parameter.Value = value ?? DBNull.Value;
            target.Add(parameter);
        }
    }

    private static SqlValue P(string name, string? value) => new(name, value, DbType.String);

    private static SqlValue P(string name, long? value) => new(name, value, DbType.Int64);

    private static SqlValue P(string name, int? value) => new(name, value, DbType.Int32);

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
