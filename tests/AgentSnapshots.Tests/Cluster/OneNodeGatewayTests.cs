using System.Globalization;
using System.Net;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// What a one-node silo process listens on, as the kernel reports it: the HTTP API and the silo port on 127.0.0.1,
/// and the Orleans gateway only when <c>Orleans:GatewayPort</c> is set (then on 127.0.0.1 too).
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

        Assert.Contains($"Orleans: silo port 127.0.0.1:{siloPort}, gateway off (Orleans:GatewayPort not set)", silo.Output, StringComparison.Ordinal);

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
        Assert.Contains($"gateway 127.0.0.1:{silo.GatewayPort}, no TLS (loopback only)", silo.Output, StringComparison.Ordinal);

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

    private static IHost SdkHost(int gatewayPort)
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
