using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace AgentSnapshots.Tests.Support;

/// <summary>A TLS client's view of a silo's port: whether it took the certificate the client showed, and what it showed.</summary>
internal static class TlsHandshake
{
    /// <summary>
    /// A TLS handshake with <paramref name="certificate"/> (none when null; the silo's certificate must pass
    /// <paramref name="acceptSilo"/>), then a read: the silo closing the connection means it refused the certificate
    /// (TLS 1.3 says so after the handshake); anything else (its preamble, or waiting for ours) means it took it.
    /// </summary>
    public static async Task<bool> HeldOpenAsync(int port, X509Certificate2? certificate, Func<X509Certificate?, bool> acceptSilo)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, shown, _, _) => acceptSilo(shown));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = "silo", ClientCertificates = certificate is null ? null : [certificate] },
                wait.Token);
            return await tls.ReadAsync(new byte[1], wait.Token) > 0;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
            return false;
        }
    }
}
