using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Client;

/// <summary>Registers <see cref="IAgentSnapshotsClient"/>.</summary>
public static class AgentSnapshotsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IAgentSnapshotsClient"/> with options bound from <paramref name="configuration"/>, for
    /// example <c>configuration.GetSection("AgentSnapshots")</c> holding <c>Gateways</c> or
    /// <c>PostgresConnectionString</c>, <c>ClusterId</c>, <c>ServiceId</c>, <c>ResponseTimeout</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The section to bind <see cref="AgentSnapshotsClientOptions"/> from.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// The options are read and checked when the client starts: later <c>Configure</c> calls apply, and invalid ones
    /// fail the host's start with an <see cref="OptionsValidationException"/> that names the setting. The SDK's Orleans
    /// client is its own, beside any the application registers.
    /// </remarks>
    public static IServiceCollection AddAgentSnapshotsClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services).Bind(configuration);
        return services;
    }

    /// <summary>Registers <see cref="IAgentSnapshotsClient"/> with options set by <paramref name="configure"/> (defaults: a silo on this machine).</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the options; run when the client starts, not now.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddAgentSnapshotsClient(this IServiceCollection services, Action<AgentSnapshotsClientOptions>? configure = null)
    {
        var options = AddCore(services);
        if (configure is not null)
        {
            options.Configure(configure);
        }
        return services;
    }

    private static OptionsBuilder<AgentSnapshotsClientOptions> AddCore(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentSnapshotsClientOptions>, AgentSnapshotsClientOptionsValidator>());
        services.TryAddSingleton<ClusterConnection>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ClusterConnection>(sp => sp.GetRequiredService<ClusterConnection>()));
        services.TryAddSingleton<IAgentSnapshotsClient, AgentSnapshotsClient>();
        return services.AddOptions<AgentSnapshotsClientOptions>().ValidateOnStart();
    }
}
