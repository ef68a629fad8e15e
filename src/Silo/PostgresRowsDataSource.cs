using Npgsql;

namespace AgentSnapshots.Silo;

/// <summary>
/// The PostgreSQL data source of the snapshot rows (<see cref="SnapshotRows"/>). A track sends the same few statement
/// texts every time; unprepared, the server parses and plans each of them again on every track. With automatic
/// preparation Npgsql prepares a text on a connection once it has been used a few times there, and from then on
/// sends only its parameters. Left as configured when the connection string says <c>Max Auto Prepare</c> itself
/// (e.g. <c>0</c> behind a pooler that cannot keep prepared statements, such as PgBouncer in transaction mode before 1.21).
/// </summary>
internal static class PostgresRowsDataSource
{
    /// <summary>Prepared statements kept per connection: the rows use thirteen texts (four reads, nine writes).</summary>
    public const int AutoPreparedStatements = 16;

    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!SaysMaxAutoPrepare(connectionString))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
        }
        return builder.Build();
    }

    /// <summary>
    /// Whether the text itself names the setting ("Max Auto Prepare" or "MaxAutoPrepare", any case). Npgsql's own
    /// builder cannot tell: its ContainsKey answers true for every keyword it knows, set or not.
    /// </summary>
    private static bool SaysMaxAutoPrepare(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.Keys.Cast<string>().Any(key => string.Equals(key.Replace(" ", "", StringComparison.Ordinal), "MaxAutoPrepare", StringComparison.OrdinalIgnoreCase));
    }
}
