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
    public const string AllowedHostsKey = "Http:AllowedHosts";
    public const string AllowedOriginsKey = "Http:AllowedOrigins";
    public const int DefaultPort = 5180;

    [Range(0, 65535, ErrorMessage = $"{PortKey} must be a TCP port (1-65535), or 0 for no HTTP listener.")]
    public int Port { get; set; } = DefaultPort;

    /// <summary>An IP address to listen on (<c>0.0.0.0</c>: every interface), or <c>localhost</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// Host names requests may carry besides the loopback ones (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>), any
    /// port: a name the service is reached by (e.g. <c>snapshots.internal</c>, <c>*.example.com</c>; <c>*</c>: any,
    /// for a proxy in front that checks the name itself).
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Web origins (<c>https://ui.example.com</c>) whose pages may call the API besides the silo's own; CORS answers
    /// their browsers' preflight requests. None by default: a browser page of another origin is refused.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>The address <see cref="Host"/> names, or null if it names none.</summary>
    public IPAddress? ListenAddress() =>
        string.Equals(Host.Trim(), "localhost", StringComparison.OrdinalIgnoreCase)
            ? IPAddress.Loopback
            : IPAddress.TryParse(Host.Trim(), out var address) ? address : null;

    /// <summary>An origin as requests carry it: scheme://host[:port], lowercase, without a trailing '/'.</summary>
    public static string NormalizeOrigin(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return origin.Trim().TrimEnd('/').ToLowerInvariant();
    }

    /// <summary>Whether <paramref name="origin"/> is an http(s) origin: scheme and host (and port), no path, query or user.</summary>
    public static bool IsOrigin(string? origin) =>
        origin is not null
        && Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;

    /// <summary>Only this machine can reach the listener.</summary>
    public bool IsLoopback => ListenAddress() is { } address && IPAddress.IsLoopback(address);
}
