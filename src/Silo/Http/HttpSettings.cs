using System.ComponentModel.DataAnnotations;
using System.Net;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// The silo's HTTP listener (section <c>Http</c>): the API, the health endpoints, the OpenAPI document and the
/// dashboard share it. Port 0 means no listener.
/// </summary>
public sealed class HttpSettings
{
    public const string SectionName = "Http";
    public const string PortKey = "Http:Port";
    public const string HostKey = "Http:Host";
    public const int DefaultPort = 5180;

    [Range(0, 65535, ErrorMessage = $"{PortKey} must be a TCP port (1-65535), or 0 for no HTTP listener.")]
    public int Port { get; set; } = DefaultPort;

    /// <summary>An IP address to listen on (<c>0.0.0.0</c>: every interface), or <c>localhost</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The address <see cref="Host"/> names, or null if it names none.</summary>
    public IPAddress? ListenAddress() =>
        string.Equals(Host.Trim(), "localhost", StringComparison.OrdinalIgnoreCase)
            ? IPAddress.Loopback
            : IPAddress.TryParse(Host.Trim(), out var address) ? address : null;

    /// <summary>Only this machine can reach the listener.</summary>
    public bool IsLoopback => ListenAddress() is { } address && IPAddress.IsLoopback(address);
}
