namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>The values of <c>Snapshots:ObjectStore</c>.</summary>
public static class ObjectStoreKinds
{
    /// <summary>A bare git repository per workspace under <c>DataDir</c> (one node).</summary>
    public const string Local = "local";

    /// <summary>Packs in the cluster's PostgreSQL database; <c>DataDir</c> a cache.</summary>
    public const string Postgres = "postgres";

    /// <summary>Packs in an S3 bucket (<c>Snapshots:S3:*</c>); <c>DataDir</c> a cache.</summary>
    public const string S3 = "s3";
}
