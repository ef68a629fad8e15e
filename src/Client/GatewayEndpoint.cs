using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AgentSnapshots.Client;

/// <summary>Gateway addresses as <c>HOST:PORT</c> (an IP, <c>[IPv6]</c>, or a name resolved when the client connects).</summary>
internal static class GatewayEndpoint
{
    public static bool TryParse(string? gateway, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(gateway))
        {
            return false;
        }
        var colon = gateway.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(gateway.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }
        host = gateway[..colon].Trim().Trim('[', ']');
        // An IPv6 address without brackets ("::1:30000") is ambiguous: the brackets are required there.
        return host.Length > 0 && (!host.Contains(':', StringComparison.Ordinal) || gateway.StartsWith('['));
    }

    /// <summary>Resolves a gateway that <see cref="TryParse"/> accepted, preferring IPv4 for names.</summary>
    public static IPEndPoint Resolve(string gateway)
    {
        if (!TryParse(gateway, out var host, out var port))
        {
            throw new FormatException($"Gateway '{gateway}' is not HOST:PORT (for example {AgentSnapshotsClientOptions.DefaultGateway}).");
        }
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new SocketException((int)e.SocketErrorCode, $"Gateway host '{host}' cannot be resolved: {e.Message}");
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound, $"Gateway host '{host}' has no address.");
        return new IPEndPoint(chosen, port);
    }
}
