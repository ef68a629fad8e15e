namespace AgentSnapshots.Client;

/// <summary>How the SDK reaches the silos: PostgreSQL membership or a list of gateways, and the cluster's identity.</summary>
public sealed class AgentSnapshotsClientOptions
{
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>Gateway endpoints as <c>HOST:PORT</c> (default <c>127.0.0.1:30000</c>, the silo's <c>Orleans:GatewayPort</c>).</summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>
    /// Cluster mode: the silos' PostgreSQL database (their <c>ConnectionStrings:Postgres</c>). When set the client finds
    /// the live gateways in the membership table and <see cref="Gateways"/> is ignored.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Cluster mode: how often the client re-reads the live gateways (a dead silo drops out within this time).</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    public string ClusterId { get; set; } = "agentsnapshots";

    public string ServiceId { get; set; } = "agentsnapshots";

    /// <summary>How long a call may take: snapshots and restores of big trees take minutes.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long connecting keeps retrying an unreachable gateway before the host's start fails.</summary>
    public TimeSpan ConnectRetryTime { get; set; } = TimeSpan.FromSeconds(30);

    internal IReadOnlyList<string> EffectiveGateways => Gateways.Count > 0 ? [.. Gateways] : [DefaultGateway];
}
