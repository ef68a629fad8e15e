using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage;
using AgentSnapshots.ObjectStorage.S3;
using AgentSnapshots.Tests.Processes;

namespace AgentSnapshots.Bench;

/// <summary>
/// Where the benchmark's silos keep objects: <c>BENCH_OBJECT_STORE=postgres</c> runs them in cluster mode on a throwaway
/// PostgreSQL with <c>Snapshots:ObjectStore=postgres</c> (DataDir then only a cache); <c>s3</c> the same with
/// <c>Snapshots:ObjectStore=s3</c> on a throwaway Swift server (its S3 API) and a fresh bucket; anything else, local
/// stores. Run a scenario once each way to set them side by side (<c>BENCH_OBJECT_STORE=local</c> for the local
/// figures with the same settings: no summary cache).
/// </summary>
internal static class BenchObjectStore
{
    public const string Variable = "BENCH_OBJECT_STORE";

    private static ThrowawayPostgres? s_server;
    private static string? s_database;
    private static ThrowawaySwift? s_swift;
    private static S3Options? s_s3;

    public static bool Postgres => Is(ObjectStoreKinds.Postgres);

    public static bool S3 => Is(ObjectStoreKinds.S3);

    /// <summary>Whether the silos keep objects in a backend (postgres or s3): cluster mode, DataDir only a cache.</summary>
    public static bool Backed => Postgres || S3;

    /// <summary>Where a backed store's files are, for the printed lines.</summary>
    public static string BackendPlace => S3 ? "in S3 (Swift)" : "in PostgreSQL";

    private static bool Is(string kind) => string.Equals(Environment.GetEnvironmentVariable(Variable), kind, StringComparison.OrdinalIgnoreCase);

    /// <summary>The silo settings for the object store in force (a fresh database per silo with postgres).</summary>
    public static async Task<Dictionary<string, string>> SettingsAsync()
    {
        if (!Backed)
        {
            // BENCH_OBJECT_STORE=local: the same silo settings as postgres' beside it (every summary computed).
            return string.Equals(Environment.GetEnvironmentVariable(Variable), "local", StringComparison.OrdinalIgnoreCase)
                ? new Dictionary<string, string> { ["Snapshots__Summary__CacheBytes"] = "0" }
                : [];
        }
        s_database = await DatabaseAsync("bench");
        var settings = S3 ? await S3SettingsAsync() : [];
        return new Dictionary<string, string>(settings)
        {
            ["ConnectionStrings__Postgres"] = s_database,
            ["Snapshots__ObjectStore"] = S3 ? ObjectStoreKinds.S3 : ObjectStoreKinds.Postgres,
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

    /// <summary>A throwaway Swift server (started once, stopped when the bench ends) and a fresh bucket on it, as the silo's settings.</summary>
    private static async Task<Dictionary<string, string>> S3SettingsAsync()
    {
        if (s_swift is null)
        {
            var swift = new ThrowawaySwift();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => swift.DisposeAsync().AsTask().GetAwaiter().GetResult();
            await swift.StartAsync();
            s_swift = swift;
        }
        // The standard AWS sources, for the silos (inherited) and for this process's own reads of the bucket.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", ThrowawaySwift.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", ThrowawaySwift.SecretKey);
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        // A fresh bucket per run; the silos' backend makes it on first use.
        var bucket = $"bench-{Environment.ProcessId}-{DateTime.UtcNow:HHmmssfff}";
        s_s3 = new S3Options { ServiceUrl = s_swift.ServiceUrl, Bucket = bucket };
        return new Dictionary<string, string>
        {
            ["Snapshots__S3__ServiceUrl"] = s_s3.ServiceUrl,
            ["Snapshots__S3__Bucket"] = s_s3.Bucket,
        };
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

    /// <summary>With postgres or s3: the bytes of workspace <paramref name="workspaceId"/>'s files in the backend (packs and indexes); else null.</summary>
    public static async Task<long?> StoredBytesAsync(string workspaceId)
    {
        using var backend = Backend();
        return backend is null ? null : (await backend.Value.ListAsync(workspaceId, CancellationToken.None)).Sum(f => f.Length);
    }

    /// <summary>
    /// Copies the objects of workspace <paramref name="workspaceId"/> into the bare repository <paramref name="gitDir"/>:
    /// with postgres every pack and index the backend holds (whole, as git reads them), else those of the local store
    /// <paramref name="localStore"/>.
    /// </summary>
    public static async Task CopyObjectsAsync(string workspaceId, string localStore, string gitDir)
    {
        using var backend = Backend();
        var objects = Path.Combine(gitDir, "objects");
        if (backend is null)
        {
            DiskRun.CopyDirectory(Path.Combine(localStore, "objects"), objects);
            return;
        }
        var packs = Directory.CreateDirectory(Path.Combine(objects, "pack")).FullName;
        var buffer = new byte[1 << 20];
        foreach (var file in await backend.Value.ListAsync(workspaceId, CancellationToken.None))
        {
            await using var output = File.Create(Path.Combine(packs, file.Name));
            for (long offset = 0; offset < file.Length;)
            {
                var n = await backend.Value.ReadAsync(workspaceId, file.Name, offset, buffer, CancellationToken.None);
                if (n == 0) throw new InvalidDataException($"{file.Name} of store {workspaceId} ends at {offset} of {file.Length} bytes");
                await output.WriteAsync(buffer.AsMemory(0, n));
                offset += n;
            }
        }
    }

    /// <summary>The backend in force, as the silos reach it (their default service id, their bucket), or null with local stores.</summary>
    private static OpenBackend? Backend() =>
        S3 && s_s3 is not null ? new OpenBackend(ObjectBackends.S3(s_s3))
        : Postgres && s_database is not null ? new OpenBackend(ObjectBackends.Postgres(s_database, "agentsnapshots"))
        : null;

    /// <summary>A backend for the length of one use, released after it (both kinds hold connections or a client).</summary>
    private sealed class OpenBackend(IObjectBackend value) : IDisposable
    {
        public IObjectBackend Value { get; } = value;

        public void Dispose()
        {
            if (Value is IAsyncDisposable asyncDisposable) asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
            else (Value as IDisposable)?.Dispose();
        }
    }
}
