using System.Data;

namespace AgentSnapshots.Silo;

/// <summary>
/// One statement to run with its parameters' values. The text is a constant (<see cref="SnapshotRowsSql"/>), so the
/// same text always comes with the same parameter names and types: that is what lets the SQLite writer prepare a
/// text once and run it again with new values (<see cref="SqliteWriter"/>).
/// </summary>
internal sealed record SqlStatement(string Sql, IReadOnlyList<SqlValue> Parameters);

/// <summary>A parameter's value, with its type set so that a null has one too (PostgreSQL needs it).</summary>
internal readonly record struct SqlValue(string Name, object? Value, DbType Type);
