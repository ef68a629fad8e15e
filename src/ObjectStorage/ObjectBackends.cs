using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage.PostgreSql;
using AgentSnapshots.ObjectStorage.S3;

namespace AgentSnapshots.ObjectStorage;

/// <summary>Chooses and builds the object backend <c>Snapshots:ObjectStore</c> names.</summary>
public static class ObjectBackends
{
    /// <summary>The accepted values of <c>Snapshots:ObjectStore</c>.</summary>
    public static readonly IReadOnlyList<string> Kinds = [ObjectStoreKinds.Local, ObjectStoreKinds.Postgres, ObjectStoreKinds.S3];

    /// <summary>
    /// The kind in force: the configured one (any case), or, when none is configured, <c>postgres</c> in a cluster
    /// (with a PostgreSQL connection string) and <c>local</c> on one node. Null when the
    /// value is not one of <see cref="Kinds"/>.
    /// </summary>
    public static string? Resolve(string? configured, bool hasPostgres)
    {
        // A cluster (a PostgreSQL connection string) keeps its objects in its database unless told otherwise: no silo
        // needs a shared volume. One node keeps them under DataDir, as git does.
        if (string.IsNullOrWhiteSpace(configured)) return hasPostgres ? ObjectStoreKinds.Postgres : ObjectStoreKinds.Local;
        var kind = configured.Trim().ToLowerInvariant();
        return Kinds.Contains(kind) ? kind : null;
    }

    /// <summary>The PostgreSQL backend on the cluster's database, scoped by the cluster's service id.</summary>
    public static IObjectBackend Postgres(string connectionString, string serviceId) => new PostgresObjectBackend(connectionString, serviceId);

    /// <summary>The S3 backend (<c>Snapshots:S3</c>), with the credentials of the standard AWS sources.</summary>
    public static IObjectBackend S3(S3Options options) => new S3ObjectBackend(options);
}
