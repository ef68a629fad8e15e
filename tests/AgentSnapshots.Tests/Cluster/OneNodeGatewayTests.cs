using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// What a one-node silo process listens on, as the kernel reports it: the HTTP API and the silo port on 127.0.0.1,
/// and the Orleans gateway only when <c>Orleans:GatewayPort</c> is set (then on 127.0.0.1 too, plain TCP); the silo
/// port speaks mutual TLS with a throwaway certificate, so another local user cannot pose as a silo.
/// </summary>
public sealed class OneNodeGatewayTests
{
    [Fact]
    public async Task Without_a_gateway_port_no_gateway_listens_and_http_works()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("as-no-gateway");
        var siloPort = LoopbackPort.Free();
        // An empty value is how an operator unsets a key that appsettings.json names; the launcher sets a port otherwise.
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, new Dictionary<string, string>
        {
            ["Orleans__GatewayPort"] = "",
            ["Orleans__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        });

        // Nothing but HTTP and the silo port, both on loopback: no gateway on the launcher's port or Orleans' 30000.
        var listening = ListeningSockets.Of(silo.ProcessId);
        Assert.Equal(
            [new IPEndPoint(IPAddress.Loopback, siloPort), new IPEndPoint(IPAddress.Loopback, silo.HttpPort)],
            listening.OrderBy(e => e.Port == siloPort ? 0 : 1));

        Assert.Contains(
            $"Orleans: silo port 127.0.0.1:{siloPort}, mutual TLS as CN=agentsnapshots-one-node-silo (a throwaway certificate made at start, the only one accepted), gateway off (Orleans:GatewayPort not set)",
            silo.Output,
            StringComparison.Ordinal);

        // The SDK finds no gateway to connect to.
        using var host = SdkHost(silo.GatewayPort);
        await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(ct));

        using var http = new HttpClient { BaseAddress = silo.HttpAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/ready", UriKind.Relative), ct)).StatusCode);
    }

    [Fact]
    public async Task With_a_gateway_port_the_gateway_listens_on_loopback_only_and_serves_the_sdk()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("as-gateway");
        var siloPort = LoopbackPort.Free();
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, new Dictionary<string, string>
        {
            ["Orleans__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        });

        var listening = ListeningSockets.Of(silo.ProcessId);
        Assert.Equal(
            new[] { siloPort, silo.GatewayPort, silo.HttpPort }.Order(),
            listening.Select(e => e.Port).Order());
        Assert.All(listening, e => Assert.Equal(IPAddress.Loopback, e.Address));
        // The silo port is behind TLS, the gateway is not, and the start log says what that means.
        Assert.Contains(
            $"Orleans: silo port 127.0.0.1:{siloPort}, mutual TLS as CN=agentsnapshots-one-node-silo (a throwaway certificate made at start, the only one accepted); " +
            $"gateway 127.0.0.1:{silo.GatewayPort} WITHOUT TLS: any local user can call grains through it without the HTTP key",
            silo.Output,
            StringComparison.Ordinal);

        using var host = SdkHost(silo.GatewayPort);
        await host.StartAsync(ct);
        var snapshots = host.Services.GetRequiredService<IAgentSnapshotsClient>();
        var ws = Directory.CreateDirectory(temp.Combine("ws")).FullName;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\n");
        var tracked = await snapshots.TrackAsync("through-gateway", ws, "one", ct);
        Assert.Equal(tracked.Hash, Assert.Single((await snapshots.HistoryAsync("through-gateway", ct)).Snapshots).Hash);
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task The_silo_port_speaks_mutual_tls_and_takes_only_its_own_throwaway_certificate()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("as-silo-port-tls");
        var siloPort = LoopbackPort.Free();
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, new Dictionary<string, string>
        {
            ["Orleans__GatewayPort"] = "",
            ["Orleans__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        });

        // Plain bytes (what a handcrafted Orleans connection starts with) get no answer but the connection closed.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, siloPort, ct);
            var stream = tcp.GetStream();
            await stream.WriteAsync(new byte[] { 0, 0, 0, 5, 1, 2, 3, 4, 5 }, ct);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal(0, await ReadOrClosedAsync(stream, wait.Token));
        }

        // TLS: the silo shows a throwaway self-signed certificate (server and client authentication, valid a day).
        byte[]? shown = null;
        Assert.False(await TlsHandshake.HeldOpenAsync(siloPort, certificate: null, c => (shown = c?.GetRawCertData()) is not null), "the silo port took a client without a certificate");
        using var siloCertificate = X509CertificateLoader.LoadCertificate(Assert.IsType<byte[]>(shown));
        Assert.Equal(("CN=agentsnapshots-one-node-silo", "CN=agentsnapshots-one-node-silo"), (siloCertificate.Subject, siloCertificate.Issuer));
        Assert.InRange(siloCertificate.NotAfter.ToUniversalTime(), DateTime.UtcNow, DateTime.UtcNow.AddDays(1).AddMinutes(1));
        Assert.Equal(
            ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
            Assert.Single(siloCertificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).Order());

        // A certificate like it, made by someone else (same subject and usages, another key), is refused.
        using var impostor = SelfSigned(siloCertificate.Subject);
        Assert.False(await TlsHandshake.HeldOpenAsync(siloPort, impostor, _ => true), "the silo port took another self-signed silo certificate");

        // The silo serves on.
        using var http = new HttpClient { BaseAddress = silo.HttpAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/ready", UriKind.Relative), ct)).StatusCode);
        Assert.False(silo.HasExited);
    }

    [Fact]
    public async Task A_gateway_port_equal_to_the_silo_port_stops_the_silo_with_exit_code_2()
    {
        using var temp = new TempDirectory("as-gateway-clash");
        var port = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path,
            new Dictionary<string, string> { ["Orleans__GatewayPort"] = port, ["Orleans__SiloPort"] = port }));

        Assert.Contains("exited (2)", error.Message, StringComparison.Ordinal);
        var line = Assert.Single(error.Message.Split('\n'), l => l.Contains("crit:", StringComparison.Ordinal));
        Assert.Contains($"Orleans:GatewayPort and Orleans:SiloPort are both {port}", line, StringComparison.Ordinal);
    }

    /// <summary>Reads once: 0 when the peer closed the connection (or reset it), else the byte count.</summary>
    private static async Task<int> ReadOrClosedAsync(NetworkStream stream, CancellationToken ct)
    {
        try
        {
            return await stream.ReadAsync(new byte[64], ct);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    /// <summary>The SDK's host for one silo's gateway (the remote workspaces' SDK test uses it too).</summary>
    internal static IHost SdkHost(int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAgentSnapshotsClient(o =>
        {
            o.Gateways.Add($"127.0.0.1:{gatewayPort}");
            o.ConnectRetryTime = TimeSpan.Zero;
        });
        return builder.Build();
    }
}
