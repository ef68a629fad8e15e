using Microsoft.Data.Sqlite;

namespace AgentSnapshots.Silo;

/// <summary>
/// The one connection the snapshot rows' SQLite writes go through, kept open between writes. The profile of a track
/// showed each write opening a pooled connection, sending <c>PRAGMA synchronous = NORMAL</c> again and compiling
/// every statement again (Microsoft.Data.Sqlite keeps no statement cache across commands: sqlite3_prepare alone was
/// 3 % of the silo's CPU). Here the pragma is set once when the connection opens, and each distinct statement text
/// (the transaction's BEGIN and COMMIT too) is prepared once and run again with new values.
/// <para>
/// Any failure closes the connection, which rolls back its open transaction, and the next write opens a new one. A
/// statement that fails inside a transaction leaves that transaction open; reusing the connection would let the next
/// write's COMMIT commit the failed batch's first half. Not thread-safe: its owner, <see cref="SqliteWriteGate"/>,
/// lets one writer in at a time.
/// </para>
/// </summary>
internal sealed class SqliteWriter(string connectionString) : IDisposable
{
    private static readonly SqlStatement Begin = new("BEGIN IMMEDIATE", []);
    private static readonly SqlStatement Commit = new("COMMIT", []);
    // Not pooled: a closed (failed) connection must go away, not back to a pool the readers draw from.
    private readonly string _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);
    private SqliteConnection? _connection;
    private bool _disposed;

    /// <summary>Runs <paramref name="statements"/> in one transaction: all of them or none.</summary>
    public void Write(IReadOnlyList<SqlStatement> statements)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            // IMMEDIATE takes the write lock at once, so no statement inside can meet SQLITE_BUSY half-way.
            Run(Begin);
            foreach (var statement in statements) Run(statement);
            Run(Commit);
        }
        catch
        {
            Close();
            throw;
        }
    }

    private void Run(SqlStatement statement)
    {
        var command = Prepared(statement);
        // Every value is replaced: the same text has the same parameters, so none is left over from the last use.
        if (command.Parameters.Count != statement.Parameters.Count)
        {
            throw new InvalidOperationException($"The statement was prepared with {command.Parameters.Count} parameters and is now run with {statement.Parameters.Count}.");
        }
        foreach (var (name, value, _) in statement.Parameters)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
        command.ExecuteNonQuery();
    }

    private SqliteCommand Prepared(SqlStatement statement)
    {
        _connection ??= Open();
        if (_prepared.TryGetValue(statement.Sql, out var command)) return command;
        command = _connection.CreateCommand();
        command.CommandText = statement.Sql;
        foreach (var (name, _, type) in statement.Parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name, DbType = type });
        }
        command.Prepare();
        _prepared.Add(statement.Sql, command);
        return command;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            // In WAL mode a commit appends to the log without an fsync; the silo's checkpoints sync (see Storage.sql).
            pragma.CommandText = "PRAGMA synchronous = NORMAL";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Close()
    {
        foreach (var command in _prepared.Values) command.Dispose();
        _prepared.Clear();
        _connection?.Dispose();
        _connection = null;
    }

    public void Dispose()
    {
        _disposed = true;
        Close();
    }
}
