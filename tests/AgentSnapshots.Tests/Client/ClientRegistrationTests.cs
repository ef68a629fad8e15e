using AgentSnapshots.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Tests.Client;

/// <summary>How the SDK registers: options bound from configuration or set by a delegate, read and checked only at start.</summary>
public sealed class ClientRegistrationTests
{
    [Fact]
    public void Options_bind_from_a_configuration_section_and_later_configuration_still_applies()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentSnapshots:Gateways:0"] = "10.1.2.3:30001",
            ["AgentSnapshots:Gateways:1"] = "[::1]:30002",
            ["AgentSnapshots:ClusterId"] = "cluster-a",
            ["AgentSnapshots:ServiceId"] = "service-a",
            ["AgentSnapshots:ResponseTimeout"] = "00:02:00",
            ["AgentSnapshots:GatewayListRefreshPeriod"] = "00:00:03",
        }).Build();
        var services = new ServiceCollection();
        services.AddAgentSnapshotsClient(configuration.GetSection("AgentSnapshots"));
        services.Configure<AgentSnapshotsClientOptions>(o => o.ServiceId = "service-b");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<AgentSnapshotsClientOptions>>().Value;

        Assert.Equal(["10.1.2.3:30001", "[::1]:30002"], options.Gateways);
        Assert.Equal(("cluster-a", "service-b"), (options.ClusterId, options.ServiceId));
        Assert.Equal((TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(3)), (options.ResponseTimeout, options.GatewayListRefreshPeriod));
        Assert.Null(options.PostgresConnectionString);
    }

    [Fact]
    public void Registering_runs_no_configuration_and_registering_twice_adds_one_client()
    {
        var runs = 0;
        var services = new ServiceCollection();
        services.AddAgentSnapshotsClient(o => runs++);
        services.AddAgentSnapshotsClient(o => o.ClusterId = "second");
        Assert.Equal(0, runs);

        using var provider = services.BuildServiceProvider();
        Assert.Single(provider.GetServices<IAgentSnapshotsClient>());
        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Equal("second", provider.GetRequiredService<IOptions<AgentSnapshotsClientOptions>>().Value.ClusterId);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Invalid_options_fail_the_hosts_start_naming_each_setting_before_any_connection()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentSnapshots:Gateways:0"] = "no-port-here",
            ["AgentSnapshots:ClusterId"] = " ",
            ["AgentSnapshots:ResponseTimeout"] = "00:00:00",
        });
        builder.Services.AddAgentSnapshotsClient(builder.Configuration.GetSection("AgentSnapshots"));
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(3, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.Contains("Gateway 'no-port-here' is not HOST:PORT", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("ClusterId is empty", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("ResponseTimeout", StringComparison.Ordinal));
    }
}
