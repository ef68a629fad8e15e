using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentSnapshots;

/// <summary>
/// Applies AgentSnapshots' own PostgreSQL schema (grain storage and clustering tables plus the
/// <c>OrleansQuery</c> rows the Orleans ADO.NET providers read) from the versioned <c>NNNN-name.sql</c>
/// files shipped in <c>Sql/PostgreSQL</c> beside the silo.
/// </summary>
/// <remarks>
/// Each file runs at most once per database, in version order, inside its own transaction, and is
/// recorded in <c>agentsnapshots_schema_version</c>. A session-level advisory lock serialises silos that
/// start at the same time, so exactly one of them applies a pending file and the others see it recorded.
/// The files are also idempotent on their own, for DBAs who apply them by hand with psql.
/// </remarks>
public static partial class PostgresSchema
{
    /// <summary>The ADO.NET invariant name of Npgsql, for the Orleans storage and clustering options.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>The table that records applied schema versions.</summary>
    public const string VersionTable = "agentsnapshots_schema_version";

    // pg_advisory_lock key shared by every AgentSnapshots silo: the ASCII bytes of "AgSnSchm".
    private const long AdvisoryLockKey = 0x4167_536E_5363_686D;

    /// <summary>Where the silo's build output keeps the PostgreSQL scripts.</summary>
    public static string DefaultScriptDirectory => Path.Combine(AppContext.BaseDirectory, "Sql", "PostgreSQL");

    /// <summary>Applies the pending scripts from <see cref="DefaultScriptDirectory"/>.</summary>
    /// <returns>The versions this call applied (empty when the database was already current).</returns>
    public static Task<IReadOnlyList<int>> ApplyAsync(string connectionString, ILogger logger, CancellationToken ct) =>
        ApplyAsync(connectionString, DefaultScriptDirectory, logger, ct);

    /// <summary>Applies the pending scripts from <paramref name="scriptDirectory"/>.</summary>
    /// <returns>The versions this call applied (empty when the database was already current).</returns>
    public static async Task<IReadOnlyList<int>> ApplyAsync(string connectionString, string scriptDirectory, ILogger logger, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);
        var scripts = FindScripts(scriptDirectory);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);

        await ExecuteAsync(connection, null, "SELECT pg_advisory_lock(@key)", ct, ("key", AdvisoryLockKey)).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null,
                $"""
                CREATE TABLE IF NOT EXISTS {VersionTable}
                (
                    version    integer      NOT NULL PRIMARY KEY,
                    name       varchar(200) NOT NULL,
                    applied_at timestamptz  NOT NULL DEFAULT now()
                )
                """, ct).ConfigureAwait(false);

            var applied = await ReadAppliedVersionsAsync(connection, ct).ConfigureAwait(false);
            var newest = scripts.Count == 0 ? 0 : scripts[^1].Version;
            foreach (var unknown in applied.Where(v => v > newest))
            {
                LogDatabaseNewer(logger, unknown, newest);
            }

            var done = new List<int>();
            foreach (var script in scripts)
            {
                if (applied.Contains(script.Version))
                {
                    continue;
                }

                var sql = await File.ReadAllTextAsync(script.Path, ct).ConfigureAwait(false);
                await using (var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false))
                {
                    await ExecuteAsync(connection, tx, sql, ct).ConfigureAwait(false);
                    await ExecuteAsync(connection, tx,
                        $"INSERT INTO {VersionTable} (version, name) VALUES (@version, @name) ON CONFLICT (version) DO NOTHING",
                        ct, ("version", script.Version), ("name", script.Name)).ConfigureAwait(false);
                    await tx.CommitAsync(ct).ConfigureAwait(false);
                }

                LogApplied(logger, script.Version, script.Name);
                done.Add(script.Version);
            }

            if (done.Count == 0)
            {
                LogCurrent(logger, newest);
            }

            return done;
        }
        finally
        {
            // Released on the same session; CancellationToken.None so a cancelled start still unlocks.
            await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, ("key", AdvisoryLockKey)).ConfigureAwait(false);
        }
    }

    /// <summary>The versions recorded in <see cref="VersionTable"/>, or empty when it does not exist.</summary>
    public static async Task<IReadOnlySet<int>> ReadAppliedVersionsAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var exists = new NpgsqlCommand($"SELECT to_regclass('{VersionTable}') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
        {
            return new HashSet<int>();
        }

        return await ReadAppliedVersionsAsync(connection, ct).ConfigureAwait(false);
    }

    /// <summary>The scripts in a directory, ordered by version; names must look like <c>0001-storage.sql</c>.</summary>
    public static IReadOnlyList<SchemaScript> FindScripts(string scriptDirectory)
    {
        if (!Directory.Exists(scriptDirectory))
        {
            throw new DirectoryNotFoundException($"PostgreSQL schema scripts not found in '{scriptDirectory}'.");
        }

        var scripts = new List<SchemaScript>();
        foreach (var path in Directory.EnumerateFiles(scriptDirectory, "*.sql"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var match = ScriptName().Match(name);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Schema script '{path}' is not named NNNN-name.sql.");
            }

            scripts.Add(new SchemaScript(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), name, path));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (scripts[i].Version == scripts[i - 1].Version)
            {
                throw new InvalidOperationException($"Two schema scripts share version {scripts[i].Version}: '{scripts[i - 1].Name}' and '{scripts[i].Name}'.");
            }
        }

        return scripts;
    }

    private static async Task<HashSet<int>> ReadAppliedVersionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var versions = new HashSet<int>();
        await using var command = new NpgsqlCommand($"SELECT version FROM {VersionTable}", connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    [GeneratedRegex(@"^(\d{4})-[A-Za-z0-9_.-]+$")]
    private static partial Regex ScriptName();

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "PostgreSQL schema: applied version {Version} ({Script})")]
    private static partial void LogApplied(ILogger logger, int version, string script);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "PostgreSQL schema: up to date at version {Version}")]
    private static partial void LogCurrent(ILogger logger, int version);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "PostgreSQL schema: the database records version {Version}, newer than this silo's newest script {Newest}")]
    private static partial void LogDatabaseNewer(ILogger logger, int version, int newest);
}

/// <summary>One versioned schema file.</summary>
/// <param name="Version">The number the file name starts with.</param>
/// <param name="Name">The file name without extension, e.g. <c>0001-storage</c>.</param>
/// <param name="Path">The full path.</param>
public sealed record SchemaScript(int Version, string Name, string Path);
