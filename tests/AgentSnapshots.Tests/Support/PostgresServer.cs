using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// The PostgreSQL server the cluster-mode tests run against: the server named by the connection string
/// in <c>AGENTSNAPSHOTS_TEST_POSTGRES</c> when that is set, otherwise a throwaway server started from the
/// installed binaries (initdb + pg_ctl) in a temp directory on a free loopback port, stopped and deleted
/// on dispose. PostgreSQL refuses to run as root, so as root the server runs as the <c>postgres</c> OS user
/// (or <c>nobody</c>) through <c>runuser</c>. Missing binaries fail the tests with a clear message: the
/// cluster tests are never skipped.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "AGENTSNAPSHOTS_TEST_POSTGRES";

    private string? _tempDir;
    private string? _binDir;
    private string? _runAs;
    private int _databaseCounter;

    /// <summary>A connection string to the server's maintenance database (<c>postgres</c>), as a superuser.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>True when the server was started by this fixture (false when it came from the environment).</summary>
    public bool IsThrowaway => _tempDir is not null;

    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
            await WaitForServerAsync(TimeSpan.FromSeconds(30));
            return;
        }

        _binDir = FindBinDirectory() ?? throw new InvalidOperationException(
            "The cluster-mode tests need a PostgreSQL server, but neither is available: " +
            $"{EnvironmentVariable} is not set and the PostgreSQL server binaries (initdb, pg_ctl) are neither on PATH " +
            "nor under /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: apt-get install postgresql) " +
            $"or set {EnvironmentVariable} to a connection string of a server where the user may CREATE DATABASE.");
        _runAs = IsRoot() ? FindUnprivilegedUser() : null;

        _tempDir = Directory.CreateTempSubdirectory("as-pg-").FullName;
        if (_runAs is not null)
        {
            Run("chown", [$"{_runAs}:", _tempDir], asUser: false);
        }

        var data = Path.Combine(_tempDir, "data");
        Run(Path.Combine(_binDir, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);

        // A port taken between probing and binding makes pg_ctl fail: try a few.
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = LoopbackPort.Free();
            var options = string.Join(' ',
                $"-p {port.ToString(CultureInfo.InvariantCulture)}", $"-k {_tempDir}", "-c listen_addresses=127.0.0.1",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=300");
            try
            {
                Run(Path.Combine(_binDir, "pg_ctl"), ["-D", data, "-l", Path.Combine(_tempDir, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
                AdminConnectionString = new NpgsqlConnectionStringBuilder
                {
                    Host = "127.0.0.1",
                    Port = port,
                    Username = "postgres",
                    Database = "postgres",
                    IncludeErrorDetail = true,
                }.ConnectionString;
                await WaitForServerAsync(TimeSpan.FromSeconds(30));
                return;
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException($"Could not start the throwaway PostgreSQL server: {last?.Message}\n{ServerLog()}", last);
    }

    /// <summary>Creates a fresh, empty database and returns a connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"as_{Sanitize(prefix)}_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its connections.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_tempDir is null || _binDir is null)
        {
            return ValueTask.CompletedTask;
        }

        try
        {
            Run(Path.Combine(_binDir, "pg_ctl"), ["-D", Path.Combine(_tempDir, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Not running (failed start): nothing to stop.
        }

        try
        {
            Directory.Delete(_tempDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private async Task WaitForServerAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync();
                return;
            }
            catch (NpgsqlException) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(200);
            }
        }
    }

    private string ServerLog()
    {
        try
        {
            return _tempDir is null ? "" : File.ReadAllText(Path.Combine(_tempDir, "server.log"));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string? FindBinDirectory()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(dir, "initdb");
            if (File.Exists(initdb) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                // Debian links /usr/local/bin/initdb etc. to the versioned directory; use the real one.
                var real = new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb;
                return Path.GetDirectoryName(real);
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.EnumerateDirectories(debianRoot)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    private static bool IsRoot() => Run("id", ["-u"], asUser: false, runAs: null).Trim() == "0";

    private static string FindUnprivilegedUser()
    {
        foreach (var user in new[] { "postgres", "nobody" })
        {
            try
            {
                Run("id", ["-u", user], asUser: false, runAs: null);
                return user;
            }
            catch (InvalidOperationException)
            {
            }
        }

        throw new InvalidOperationException("Running as root, and neither a 'postgres' nor a 'nobody' OS user exists to run PostgreSQL as.");
    }

    private static string Sanitize(string prefix)
    {
        var sb = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return sb.Length > 30 ? sb.ToString(0, 30) : sb.ToString();
    }

    private string Run(string file, string[] args, bool asUser = true) => Run(file, args, asUser, _runAs, _tempDir);

    private static string Run(string file, string[] args, bool asUser, string? runAs, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server's user must be able to enter the working directory.
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        if (asUser && runAs is not null)
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", runAs, "--", file })
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            psi.FileName = file;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["LC_ALL"] = "C";
        psi.Environment["LANG"] = "C";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        // pg_ctl start sends the server's output to its -l log, so our pipes close when pg_ctl exits.
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} timed out.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }

        return stdout.Result;
    }
}

/// <summary>One PostgreSQL server for every test in the "Postgres" collection.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollectionDefinition : ICollectionFixture<PostgresServer>
{
    public const string Name = "Postgres";
}

/// <summary>A fresh database per test class (a class fixture), dropped afterwards.</summary>
public sealed class PostgresDatabase(PostgresServer server) : IAsyncLifetime
{
    public PostgresServer Server { get; } = server;

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync() => ConnectionString = await Server.CreateDatabaseAsync("db");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Server.DropDatabaseAsync(ConnectionString);
        }
        catch (NpgsqlException)
        {
            // Best effort: a throwaway server is deleted anyway.
        }
    }
}
