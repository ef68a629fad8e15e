using AgentSnapshots.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AgentSnapshots.Silo;

/// <summary>How a host becomes an AgentSnapshots silo. Program.cs and the tests' clusters use the same code.</summary>
public static class SiloHostingExtensions
{
    /// <summary>The grain storage provider the grains' <c>[PersistentState]</c> names.</summary>
    public const string StorageName = SessionGrain.StorageName;

    /// <summary>Snapshots and restores of big trees take minutes: calls wait this long before timing out.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Configures the host as a one-node silo: the <c>Snapshots</c> options, SQLite grain storage under
    /// <c>Snapshots:DataDir</c>, and localhost clustering on <c>Orleans:SiloPort</c>/<c>GatewayPort</c>.
    /// </summary>
    public static IHostApplicationBuilder AddAgentSnapshotsSilo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Postgres")))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is set, but cluster mode (PostgreSQL storage and clustering) is not available in this build yet; unset it to run one node on SQLite.");
        }

        builder.Services.AddOptions<OrleansSettings>()
            .BindConfiguration(OrleansSettings.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var endpoints = builder.Configuration.GetSection(OrleansSettings.SectionName).Get<OrleansSettings>() ?? new OrleansSettings();

        builder.AddAgentSnapshotsServices();
        builder.UseOrleans(silo => silo.UseLocalhostClustering(
            siloPort: endpoints.SiloPort,
            gatewayPort: endpoints.GatewayPort,
            serviceId: endpoints.ServiceId,
            clusterId: endpoints.ClusterId));
        return builder;
    }

    /// <summary>
    /// Everything but clustering and endpoints (a test cluster brings its own): options and their validation,
    /// the SQLite schema, the grain storage provider and its JSON serializer, and response timeouts.
    /// </summary>
    public static IHostApplicationBuilder AddAgentSnapshotsServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SnapshotsOptions>()
            .BindConfiguration(SnapshotsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SnapshotsOptions>, SnapshotsOptionsValidator>();
        builder.Services.AddSingleton<SqliteSchema>();
        // Summaries of two trees never go stale; agents ask for the same one again and again.
        builder.Services.AddAgentSnapshotsGrainServices();

        builder.UseOrleans(silo =>
        {
            silo.AddActivityPropagation();
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SqliteSchema>());
            silo.AddAdoNetGrainStorage(StorageName, (OptionsBuilder<AdoNetGrainStorageOptions> options) =>
                options.Configure<IOptions<SnapshotsOptions>>((storage, snapshots) =>
                {
                    storage.Invariant = SqliteSchema.Invariant;
                    storage.ConnectionString = SqliteSchema.ConnectionStringFor(snapshots.Value.DataDir);
                }));
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.Configure<SiloMessagingOptions>(o =>
            {
                o.ResponseTimeout = ResponseTimeout;
                o.SystemResponseTimeout = TimeSpan.FromSeconds(30);
            });
        });
        return builder;
    }
}
