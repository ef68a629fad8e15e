namespace AgentSnapshots.Client;

/// <summary>
/// How the SDK reaches the silos: a list of gateways, or PostgreSQL membership (cluster mode), and the cluster's
/// identity. Bound from configuration (<c>AgentSnapshots:Gateways:0</c>, <c>AgentSnapshots:ClusterId</c>, ...) or set
/// in code; checked when the client starts, not when it is registered.
/// </summary>
public sealed class AgentSnapshotsClientOptions
{
    /// <summary>The gateway used when neither <see cref="Gateways"/> nor <see cref="PostgresConnectionString"/> is set: a silo on this machine.</summary>
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>
    /// Gateway endpoints as <c>HOST:PORT</c>, the silos' <c>Orleans:GatewayPort</c> (default <see cref="DefaultGateway"/>).
    /// Any of them may serve a call. Host names are resolved when the client connects.
    /// </summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>
    /// Cluster mode: the silos' PostgreSQL database (their <c>ConnectionStrings:Postgres</c>). When set, the client finds
    /// the live gateways in the membership table and <see cref="Gateways"/> is ignored.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Cluster mode: how often the client re-reads the live gateways (a dead silo drops out within this time).</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The silos' <c>Orleans:ClusterId</c>.</summary>
    public string ClusterId { get; set; } = "agentsnapshots";

    /// <summary>The silos' <c>Orleans:ServiceId</c>.</summary>
    public string ServiceId { get; set; } = "agentsnapshots";

    /// <summary>How long a call may take: snapshots and restores of big trees take minutes.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long connecting keeps retrying an unreachable cluster before it fails.</summary>
    public TimeSpan ConnectRetryTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a call that met transient unavailability (a dead silo not yet declared dead, a workspace still held by
    /// another silo) keeps being retried before it fails; zero: never. Only calls safe to repeat are retried when an
    /// attempt may have run: reads, tracks and gc, not restore, revert or delete.
    /// </summary>
    public TimeSpan CallRetryTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Mutual TLS (required by a cluster whose silos set <c>Orleans:Tls:*</c>): this client's certificate as a PEM
    /// file, issued by the cluster's CA, its extended key usage (if any) allowing client authentication. With
    /// <see cref="TlsKeyFile"/> and <see cref="TlsCaFile"/>; all three or none.
    /// </summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>The private key of <see cref="TlsCertificateFile"/> (PEM, unencrypted).</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>The cluster's CA certificate(s) (PEM): the silos' certificates must chain to it; nothing else is trusted.</summary>
    public string? TlsCaFile { get; set; }

    internal bool UsesTls =>
        !string.IsNullOrWhiteSpace(TlsCertificateFile) || !string.IsNullOrWhiteSpace(TlsKeyFile) || !string.IsNullOrWhiteSpace(TlsCaFile);

    internal bool UsesPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    internal IReadOnlyList<string> EffectiveGateways => Gateways.Count > 0 ? [.. Gateways] : [DefaultGateway];
}
