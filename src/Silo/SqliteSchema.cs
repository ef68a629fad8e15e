using AgentSnapshots.Engine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo;

/// <summary>
/// Creates (or refreshes) the grain storage schema in <c>DataDir/orleans.db</c> before the storage provider
/// starts. The SQL is <c>Sql/SQLite/Storage.sql</c> (embedded, and copied next to the binaries for reference).
/// </summary>
public sealed partial class SqliteSchema(IOptions<SnapshotsOptions> options, ILogger<SqliteSchema> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The ADO.NET invariant Orleans maps to Microsoft.Data.Sqlite.</summary>
    public const string Invariant = "System.Data.SQLite";

    public const string DatabaseFileName = "orleans.db";

    private const string ScriptResource = "AgentSnapshots.Silo.Sql.SQLite.Storage.sql";

    public static string DatabasePath(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), DatabaseFileName);

    public static string ConnectionStringFor(string dataDir) => new SqliteConnectionStringBuilder
    {
        DataSource = DatabasePath(dataDir),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>The schema script.</summary>
    public static string Script()
    {
        using var stream = typeof(SqliteSchema).Assembly.GetManifestResourceStream(ScriptResource)
            ?? throw new InvalidOperationException($"The embedded schema script {ScriptResource} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Applies the schema to the database under <paramref name="dataDir"/>; safe to run any number of times.</summary>
    public static void Apply(string dataDir)
    {
        Directory.CreateDirectory(Path.GetFullPath(dataDir));
        using var connection = new SqliteConnection(ConnectionStringFor(dataDir));
        connection.Open();
        using (var wal = connection.CreateCommand())
        {
            // Readers do not block the writer; the setting is stored in the file.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }
        using var transaction = connection.BeginTransaction();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = Script();
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SqliteSchema), ServiceLifecycleStage.RuntimeInitialize, OnStart);

    private Task OnStart(CancellationToken cancellationToken)
    {
        var dataDir = options.Value.DataDir;
        Apply(dataDir);
        var path = DatabasePath(dataDir);
        LogSchemaApplied(path);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain storage schema ready in {DatabasePath}")]
    private partial void LogSchemaApplied(string databasePath);
}
