using AgentSnapshots.Client;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Tests.Client;

/// <summary>
/// The SDK against a real silo process over its real gateway: in an application host that has an Orleans client of
/// its own for a cluster of its own (a silo in this process on its own ports), and in a plain service container with
/// no host at all.
/// </summary>
public sealed class ClientBesideOrleansClientTests(SiloProcessFixture fixture) : IClassFixture<SiloProcessFixture>
{
    /// <summary>The SDK's settings for the silo process, as configuration keys under <c>AgentSnapshots</c>.</summary>
    private Dictionary<string, string?> SdkSettings() => new()
    {
        ["AgentSnapshots:Gateways:0"] = $"127.0.0.1:{fixture.Silo.GatewayPort}",
    };

    [Fact]
    public async Task An_application_with_its_own_orleans_client_adds_the_sdk_and_uses_both()
    {
        var ct = TestContext.Current.CancellationToken;
        var (siloPort, gatewayPort) = (LoopbackPort.Free(), LoopbackPort.Free());
        var appSiloBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        appSiloBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        appSiloBuilder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "the-application", clusterId: "the-application"));
        IHost? appSilo = null;
        IHost? app = null;
        try
        {
            appSilo = appSiloBuilder.Build();
            await appSilo.StartAsync(ct);

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
            builder.Configuration.AddInMemoryCollection(SdkSettings());
            builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, serviceId: "the-application", clusterId: "the-application"));
            builder.Services.AddAgentSnapshotsClient(builder.Configuration.GetSection("AgentSnapshots"));
            app = builder.Build();
            await app.StartAsync(ct);

            // The application's client is still the only one in its container, and reaches its own cluster.
            var own = Assert.Single(app.Services.GetServices<IClusterClient>());
            Assert.Equal("hello", await own.GetGrain<IAppEchoGrain>(7).Echo("hello"));

            // The SDK reaches the AgentSnapshots silo: it tracks, and the history there has the snapshot it returned.
            var snapshots = app.Services.GetRequiredService<IAgentSnapshotsClient>();
            var ws = fixture.NewWorkspace("beside-app");
            File.WriteAllText(Path.Combine(ws, "a.txt"), "one\n");
            var first = await snapshots.TrackAsync("beside-app", ws, "one", ct);
            var history = await snapshots.HistoryAsync("beside-app", ct);
            Assert.Equal((ws, first.Hash), (history.Workspace, Assert.Single(history.Snapshots).Hash));

            // Revert takes an absolute path inside the workspace and sends it relative.
            File.WriteAllText(Path.Combine(ws, "a.txt"), "changed\n");
            var reverted = await snapshots.RevertAsync("beside-app", first.Hash, [Path.Combine(ws, "a.txt")], ct);
            Assert.Equal(["a.txt"], reverted.Written);
            Assert.Equal("one\n", File.ReadAllText(Path.Combine(ws, "a.txt")));

            // Bad input is the coded error, as the silo gave it; the application's client is unaffected.
            var refused = await Assert.ThrowsAsync<SnapshotRequestException>(() => snapshots.DiffAsync("beside-app", "not-a-hash", cancellationToken: ct));
            Assert.Equal(RequestError.MalformedId, refused.Error);
            Assert.Equal("again", await own.GetGrain<IAppEchoGrain>(7).Echo("again"));
        }
        finally
        {
            await ClusterTeardown.StopAsync(app, appSilo);
        }
    }

    [Fact]
    public async Task Without_a_host_the_client_connects_on_the_first_call_and_stops_with_its_container()
    {
        var ct = TestContext.Current.CancellationToken;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SdkSettings()).Build();
        var provider = new ServiceCollection().AddAgentSnapshotsClient(configuration.GetSection("AgentSnapshots")).BuildServiceProvider();
        var snapshots = provider.GetRequiredService<IAgentSnapshotsClient>();

        var history = await snapshots.HistoryAsync("beside-no-host", ct);
        Assert.Equal("beside-no-host", history.Session);
        Assert.Empty(history.Snapshots);

        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => snapshots.HistoryAsync("beside-no-host", ct));
    }
}
