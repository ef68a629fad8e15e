using AgentSnapshots.Tests.Processes;
using AgentSnapshots.ObjectStorage.PostgreSql;

namespace AgentSnapshots.Bench;

/// <summary>
/// Where the benchmark's silos keep objects: <c>BENCH_OBJECT_STORE=postgres</c> runs them in cluster mode on a throwaway
/// PostgreSQL with <c>Snapshots:ObjectStore=postgres</c> (DataDir then only a cache); anything else, local stores.
/// Run a scenario once each way to set the two side by side (<c>BENCH_OBJECT_STORE=local</c> for the local figures
/// with the same settings: no summary cache).
/// </summary>
internal static class BenchObjectStore
{
    public const string Variable = "BENCH_OBJECT_STORE";

    private static ThrowawayPostgres? s_server;
    private static string? s_database;

    public static bool Postgres => string.Equals(Environment.GetEnvironmentVariable(Variable), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The silo settings for the object store in force (a fresh database per silo with postgres).</summary>
    public static async Task<Dictionary<string, string>> SettingsAsync()
    {
        if (!Postgres)
        {
            // BENCH_OBJECT_STORE=local: the same silo settings as postgres' beside it (every summary computed).
            return string.Equals(Environment.GetEnvironmentVariable(Variable), "local", StringComparison.OrdinalIgnoreCase)
                ? new Dictionary<string, string> { ["Snapshots__Summary__CacheBytes"] = "0" }
                : [];
        }
        s_database = await DatabaseAsync("bench");
        return new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = s_database,
            ["Snapshots__ObjectStore"] = "postgres",
            // Every summary computed (the cold-cache one after the cache is emptied too).
            ["Snapshots__Summary__CacheBytes"] = "0",
            ["Orleans__Tls__Disabled"] = "true",
            ["Auth__LocalKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        };
    }

    /// <summary>
    /// A cluster as it runs without a shared volume: a fresh database on the throwaway PostgreSQL (membership and the
    /// <c>postgres</c> object store), mutual TLS between silos and from the SDK; whatever <see cref="Variable"/> says.
    /// </summary>
    public static async Task<(string Database, Dictionary<string, string> SiloSettings)> ClusterAsync()
    {
        var database = await DatabaseAsync("cluster");
        return (database, new Dictionary<string, string>(ClusterCertificates.Ours.SiloSettings())
        {
            ["ConnectionStrings__Postgres"] = database,
            ["Snapshots__ObjectStore"] = "postgres",
        });
    }

    private static async Task<string> DatabaseAsync(string prefix)
    {
        if (s_server is null)
        {
            var server = new ThrowawayPostgres();
            // Stopped and deleted when the benchmark ends (its dispose is synchronous work).
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            await server.StartAsync();
            s_server = server;
        }
        return await s_server.CreateDatabaseAsync(prefix);
    }

    /// <summary>With postgres: the bytes of workspace <paramref name="workspaceId"/>'s files in the database (packs and indexes); else null.</summary>
    public static async Task<long?> StoredBytesAsync(string workspaceId)
    {
        await using var backend = Backend();
        return backend is null ? null : (await backend.ListAsync(workspaceId, CancellationToken.None)).Sum(f => f.Length);
    }

    /// <summary>
    /// Copies the objects of workspace <paramref name="workspaceId"/> into the bare repository <paramref name="gitDir"/>:
    /// with postgres every pack and index the backend holds (whole, as git reads them), else those of the local store
    /// <paramref name="localStore"/>.
    /// </summary>
    public static async Task CopyObjectsAsync(string workspaceId, string localStore, string gitDir)
    {
        await using var backend = Backend();
        var objects = Path.Combine(gitDir, "objects");
        if (backend is null)
        {
            DiskRun.CopyDirectory(Path.Combine(localStore, "objects"), objects);
            return;
        }
        var packs = Directory.CreateDirectory(Path.Combine(objects, "pack")).FullName;
        var buffer = new byte[1 << 20];
        foreach (var file in await backend.ListAsync(workspaceId, CancellationToken.None))
        {
            await using var output = File.Create(Path.Combine(packs, file.Name));
            for (long offset = 0; offset < file.Length;)
            {
                var n = await backend.ReadAsync(workspaceId, file.Name, offset, buffer, CancellationToken.None);
                if (n == 0) throw new InvalidDataException($"{file.Name} of store {workspaceId} ends at {offset} of {file.Length} bytes");
                await output.WriteAsync(buffer.AsMemory(0, n));
                offset += n;
            }
        }
    }

    /// <summary>The backend in force, as the silos reach it (their default service id), or null with local stores.</summary>
    private static PostgresObjectBackend? Backend() => Postgres && s_database is not null ? new PostgresObjectBackend(s_database, "agentsnapshots") : null;
}
