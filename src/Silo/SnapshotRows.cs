using System.Data;
using System.Data.Common;

namespace AgentSnapshots.Silo;

/// <summary>
/// Sessions' histories and workspaces' catalogues as rows (<see cref="ISnapshotRows"/>), on SQLite or PostgreSQL
/// through ADO.NET (<see cref="SnapshotRowsSql"/>). A batch is one transaction: on PostgreSQL one round trip (a
/// DbBatch, which the server runs as one implicit transaction); on SQLite one transaction on a pooled connection,
/// one writer at a time through the gate the grain storage shares (<see cref="SqliteWriteGate"/>), so no writer
/// meets SQLITE_BUSY. Reads go in pages of <see cref="SnapshotRowsSql.ReadPage"/> rows.
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
    private async Task<List<T>> ReadPagedAsync<T>(DbConnection connection, string sql, Param owner, long first,
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
        if (writeGate is null)
        {
            await WriteBatchAsync(statements, cancellationToken);
            return;
        }
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            await WriteInTransactionAsync(statements, cancellationToken);
        }
        finally
        {
            writeGate.Release();
        }
    }

    /// <summary>One round trip: the server runs a batch sent without a transaction as one implicit transaction.</summary>
    private async Task WriteBatchAsync(List<Statement> statements, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        if (!connection.CanCreateBatch)
        {
            await WriteInTransactionAsync(connection, statements, cancellationToken);
            return;
        }
        await using var dbBatch = connection.CreateBatch();
        foreach (var statement in statements)
        {
            var command = dbBatch.CreateBatchCommand();
            command.CommandText = statement.Sql;
            AddParameters(command.Parameters, command.CreateParameter, statement.Sql, statement.Parameters);
            dbBatch.BatchCommands.Add(command);
        }
        await dbBatch.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task WriteInTransactionAsync(List<Statement> statements, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        // In WAL mode a commit appends to the log without an fsync; the silo's checkpoints sync (see Storage.sql).
        await using (var pragma = Command(connection, "PRAGMA synchronous = NORMAL"))
        {
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }
        await WriteInTransactionAsync(connection, statements, cancellationToken);
    }

    private async Task WriteInTransactionAsync(DbConnection connection, List<Statement> statements, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var statement in statements)
        {
            await using var command = Command(connection, statement.Sql, statement.Parameters);
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static List<Statement> Statements(RowBatch batch)
    {
        var statements = new List<Statement>(batch.Count);
        foreach (var session in batch.DeletedSessions)
        {
            statements.Add(new(SnapshotRowsSql.DeleteSessionHistory, [P("session", session)]));
            statements.Add(new(SnapshotRowsSql.DeleteSession, [P("session", session)]));
        }
        foreach (var row in batch.Sessions)
        {
            statements.Add(new(SnapshotRowsSql.UpsertSession,
                [P("session", row.SessionId), P("workspace", row.WorkspaceId), P("directory", row.Directory), P("epoch", row.SyncedEpoch)]));
        }
        foreach (var row in batch.History)
        {
            statements.Add(new(SnapshotRowsSql.UpsertHistory,
            [
                P("session", row.SessionId), P("seq", row.Sequence), P("hash", row.Hash), P("label", row.Label), P("taken", row.TakenMs),
                P("files", row.Files), P("skipped", row.Skipped), P("pending", row.PendingFrom),
                P("changed", row.Step?.Changed), P("additions", row.Step?.Additions), P("deletions", row.Step?.Deletions),
                P("exact", row.Step is null ? null : row.Step.Exact ? 1 : 0),
            ]));
        }
        foreach (var (session, step) in batch.Steps)
        {
            statements.Add(new(SnapshotRowsSql.SetStep,
            [
                P("session", session), P("seq", step.Sequence), P("changed", step.Changed), P("additions", step.Additions),
                P("deletions", step.Deletions), P("exact", step.Exact ? 1 : 0),
            ]));
        }
        foreach (var (session, sequence) in batch.DeletedHistory)
        {
            statements.Add(new(SnapshotRowsSql.DeleteHistory, [P("session", session), P("seq", sequence)]));
        }
        foreach (var row in batch.Workspaces)
        {
            statements.Add(new(SnapshotRowsSql.UpsertWorkspace,
            [
                P("workspace", row.WorkspaceId), P("directory", row.Directory), P("sessions", row.Sessions),
                P("collected", row.CollectedAtSequence), P("epoch", row.DropEpoch), P("drops", row.Drops),
            ]));
        }
        foreach (var row in batch.Catalogue)
        {
            statements.Add(new(SnapshotRowsSql.UpsertCatalogue,
            [
                P("workspace", row.WorkspaceId), P("hash", row.Hash), P("position", row.Position), P("taken", row.TakenMs),
                P("safety", row.Safety ? 1 : 0), P("owners", row.Owners),
            ]));
        }
        foreach (var (workspace, hash) in batch.DeletedCatalogue)
        {
            statements.Add(new(SnapshotRowsSql.DeleteCatalogue, [P("workspace", workspace), P("hash", hash)]));
        }
        return statements;
    }

    private DbCommand Command(DbConnection connection, string sql, params IReadOnlyList<Param> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        AddParameters(command.Parameters, command.CreateParameter, sql, parameters);
        return command;
    }

    /// <summary>The statement's parameters, each with its type set (so a null has one: PostgreSQL needs it), and the service's id.</summary>
    private void AddParameters(DbParameterCollection target, Func<DbParameter> create, string sql, IReadOnlyList<Param> parameters)
    {
        foreach (var (name, value, type) in parameters)
        {
            var parameter = create();
            parameter.ParameterName = name;
            parameter.DbType = type;
            parameter.Value = value ?? DBNull.Value;
            target.Add(parameter);
        }
        if (sql.Contains("@service", StringComparison.Ordinal))
        {
            var service = create();
            service.ParameterName = "service";
            service.DbType = DbType.String;
            service.Value = serviceId;
            target.Add(service);
        }
    }

    private static Param P(string name, string? value) => new(name, value, DbType.String);

    private static Param P(string name, long? value) => new(name, value, DbType.Int64);

    private static Param P(string name, int? value) => new(name, value, DbType.Int32);

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private sealed record Statement(string Sql, IReadOnlyList<Param> Parameters);

    private readonly record struct Param(string Name, object? Value, DbType Type);
}
