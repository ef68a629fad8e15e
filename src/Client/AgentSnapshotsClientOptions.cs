namespace AgentSnapshots.Client;

/// <summary>How the SDK reaches the silo: its gateways and the cluster's identity.</summary>
public sealed class AgentSnapshotsClientOptions
{
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>Gateway endpoints as <c>HOST:PORT</c> (default <c>127.0.0.1:30000</c>, the silo's <c>Orleans:GatewayPort</c>).</summary>
    public IList<string> Gateways { get; } = [];

    public string ClusterId { get; set; } = "agentsnapshots";

    public string ServiceId { get; set; } = "agentsnapshots";

    /// <summary>How long a call may take: snapshots and restores of big trees take minutes.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long connecting keeps retrying an unreachable gateway before the host's start fails.</summary>
    public TimeSpan ConnectRetryTime { get; set; } = TimeSpan.FromSeconds(30);

    internal IReadOnlyList<string> EffectiveGateways => Gateways.Count > 0 ? [.. Gateways] : [DefaultGateway];
}
