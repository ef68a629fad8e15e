using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;

namespace AgentSnapshots.Silo;

/// <summary>The silo's endpoints, cluster identity and failure detection (section <c>Orleans</c>).</summary>
public sealed class OrleansSettings
{
    public const string SectionName = "Orleans";

    /// <summary>The <see cref="AdvertisedIP"/> value that means "what this machine's host name resolves to" (containers).</summary>
    public const string HostNameAddress = "hostname";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>The gateway's port in cluster mode when <see cref="GatewayPort"/> is not set.</summary>
    public const int ClusterGatewayPort = 30000;

    /// <summary>
    /// The Orleans gateway's port, for .NET clients (the SDK). One node: no gateway unless set (and then on 127.0.0.1
    /// only). Cluster mode: <see cref="ClusterGatewayPort"/> unless set, behind mutual TLS.
    /// </summary>
    [Range(1, 65535)]
    public int? GatewayPort { get; set; }

    /// <summary>Mutual TLS for the silo and gateway ports.</summary>
    public OrleansTlsSettings Tls { get; set; } = new();

    [Required]
    public string ClusterId { get; set; } = "agentsnapshots";

    [Required]
    public string ServiceId { get; set; } = "agentsnapshots";

    /// <summary>
    /// Cluster mode: the address other silos and clients reach this silo at (written to the membership table).
    /// An IP address, a host name (resolved at start), or <c>hostname</c> for the address this machine's own host
    /// name resolves to (a container's). Empty: 127.0.0.1 (every silo on this host). Never 0.0.0.0.
    /// </summary>
    public string? AdvertisedIP { get; set; }

    /// <summary>
    /// Cluster mode: how long a silo waits for a peer's probe answer before counting it missed. Orleans' default:
    /// a silo busy with file work (on its own threads) still answers within it, and a dead one is voted out after
    /// <see cref="NumMissedProbesLimit"/> of them (about 15 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cluster mode: missed probes after which a silo votes a peer dead (Orleans' default).</summary>
    [Range(1, 100)]
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>Cluster mode: votes that declare a silo dead (Orleans caps it by the number of live silos).</summary>
    [Range(1, 100)]
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>
    /// Cluster mode: how often a silo re-reads the membership table (Orleans: 1 min). Shorter here so silos learn of a
    /// death soon after the vote; it only reads, so it cannot make a busy silo look dead.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cluster mode: how often a silo writes its I-am-alive time to the table.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A session or workspace not called for this long deactivates (Orleans' collection age): it then costs nothing
    /// but its rows, and a workspace closes its lock file and its watches (its next track walks in full). At least
    /// two minutes (Orleans collects once a minute).
    /// </summary>
    [Range(typeof(TimeSpan), "00:02:00", "30.00:00:00")]
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a stopping silo (SIGTERM) may take to finish the work in flight and leave the cluster.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The address to advertise, resolved from <see cref="AdvertisedIP"/>.</summary>
    public IPAddress ResolveAdvertisedAddress()
    {
        var value = AdvertisedIP?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return IPAddress.Loopback;
        }

        if (IPAddress.TryParse(value, out var ip))
        {
            return ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)
                ? throw new InvalidOperationException($"Orleans:AdvertisedIP '{value}' is not an address peers can reach: give this silo's own address, a host name, or '{HostNameAddress}'.")
                : ip;
        }

        var host = string.Equals(value, HostNameAddress, StringComparison.OrdinalIgnoreCase) ? Dns.GetHostName() : value;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException($"Orleans:AdvertisedIP '{value}': host name '{host}' has no address.");
    }
}
