using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage;
using AgentSnapshots.ObjectStorage.S3;
using AgentSnapshots.Tls;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orleans.Storage;

namespace AgentSnapshots.Silo;

/// <summary>How a host becomes an AgentSnapshots silo. Program.cs and the tests' clusters use the same code.</summary>
public static class SiloHostingExtensions
{
    /// <summary>The grain storage provider the grains' <c>[PersistentState]</c> names.</summary>
    public const string StorageName = SnapshotsStorage.Name;

    /// <summary>The connection string name that switches a silo to cluster mode.</summary>
    public const string PostgresConnectionName = "Postgres";

    /// <summary>Where the workspaces' objects live: local, postgres or s3.</summary>
    public const string ObjectStoreKey = "Snapshots:ObjectStore";

    /// <summary>Set to false to leave the PostgreSQL schema to the operator (default true: applied at start).</summary>
    public const string ApplySchemaKey = "Snapshots:ApplySchema";

    /// <summary>Snapshots and restores of big trees take minutes: calls wait this long before timing out.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromMinutes(15);

    /// <summary>The PostgreSQL connection string of cluster mode, or null for one node on SQLite.</summary>
    public static string? PostgresConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString(PostgresConnectionName) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>
    /// Configures the host as a silo. Without <c>ConnectionStrings:Postgres</c>: one node, SQLite grain storage under
    /// <c>Snapshots:DataDir</c> and localhost clustering (the gateway only when <c>Orleans:GatewayPort</c> is set), the
    /// silo port behind mutual TLS (a throwaway certificate unless <c>Orleans:Tls:*</c> names files).
    /// With it (cluster mode): PostgreSQL grain storage and membership (the schema applied at start unless
    /// <c>Snapshots:ApplySchema=false</c>), endpoints advertised at <c>Orleans:AdvertisedIP</c>, mutual TLS from
    /// <c>Orleans:Tls:*</c>, and failure detection tuned to declare a vanished silo dead within seconds.
    /// </summary>
    public static IHostApplicationBuilder AddAgentSnapshotsSilo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OrleansSettings>()
            .BindConfiguration(OrleansSettings.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<OrleansSettings>, OrleansSettingsValidator>();
        var settings = builder.Configuration.GetSection(OrleansSettings.SectionName).Get<OrleansSettings>() ?? new OrleansSettings();
        var postgres = PostgresConnectionString(builder.Configuration);
        // Read now: the connection middleware takes the certificates when the silo is configured.
        var tls = SiloClusterTls.Load(settings.Tls, clusterMode: postgres is not null);
        // The TLS material, when registered, is resolved here: so the container made it and disposes it with the host.
        builder.Services.AddHostedService(sp => new OrleansEndpointsLog(settings, postgres is not null, sp.GetService<ClusterTlsMaterial>(), sp.GetRequiredService<ILogger<OrleansEndpointsLog>>()));

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.AddAgentSnapshotsServices();
        builder.UseOrleans(silo =>
        {
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = settings.CollectionAge);
            if (tls is not null)
            {
                silo.UseClusterTls(tls);
            }

            if (postgres is null)
            {
                // Both ports on 127.0.0.1; the gateway only when asked for (port 0: none).
                silo.UseLocalhostClustering(
                    siloPort: settings.SiloPort,
                    gatewayPort: settings.GatewayPort ?? 0,
                    serviceId: settings.ServiceId,
                    clusterId: settings.ClusterId);
                return;
            }

            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            var advertised = settings.ResolveAdvertisedAddress();
            // A loopback address is listened on as is; any other is listened on through every interface
            // (a container's address may not be bindable under its advertised name).
            silo.ConfigureEndpoints(advertised, settings.SiloPort, settings.GatewayPort ?? OrleansSettings.ClusterGatewayPort, listenOnAnyHostAddress: !System.Net.IPAddress.IsLoopback(advertised));
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = postgres;
            });
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = settings.ProbeTimeout;
                o.NumMissedProbesLimit = settings.NumMissedProbesLimit;
                o.NumVotesForDeathDeclaration = settings.NumVotesForDeathDeclaration;
                o.TableRefreshTimeout = settings.TableRefreshTimeout;
                o.IAmAliveTablePublishTimeout = settings.IAmAliveTablePublishTimeout;
            });
        });
        return builder;
    }

    /// <summary>
    /// Everything but clustering and endpoints (a test cluster brings its own): options and their validation,
    /// the grain storage provider (SQLite and its schema, or PostgreSQL and its schema in cluster mode) and its JSON
    /// serializer, and response timeouts.
    /// </summary>
    public static IHostApplicationBuilder AddAgentSnapshotsServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SnapshotsOptions>()
            .BindConfiguration(SnapshotsOptions.SectionName)
            // "Snapshots:Watch": false (as the design spells it) is a value on a section the binder would skip.
            .Configure<IConfiguration>((o, configuration) =>
            {
                if (bool.TryParse(configuration[SnapshotsOptionsValidator.WatchKey], out var watch)) o.Watch.Enabled = watch;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SnapshotsOptions>, SnapshotsOptionsValidator>();
        // Summaries of two trees never go stale; agents ask for the same one again and again.
        builder.Services.AddAgentSnapshotsGrainServices();
        var postgres = PostgresConnectionString(builder.Configuration);
        var applySchema = builder.Configuration.GetValue(ApplySchemaKey, defaultValue: true);

        builder.UseOrleans(silo =>
        {
            silo.AddActivityPropagation();
            if (postgres is null)
            {
                silo.Services.AddSingleton<SqliteSchema>();
                silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SqliteSchema>());
                silo.Services.AddHostedService<SqliteCheckpoints>();
                silo.AddAdoNetGrainStorage(StorageName, (OptionsBuilder<AdoNetGrainStorageOptions> options) =>
                    options.Configure<IOptions<SnapshotsOptions>>((storage, snapshots) =>
                    {
                        storage.Invariant = SqliteSchema.Invariant;
                        storage.ConnectionString = SqliteSchema.ConnectionStringFor(snapshots.Value.DataDir);
                    }));
                // The same provider (its options, validation and lifecycle as registered above), one write at a time.
                silo.Services.AddSingleton(sp => new SqliteWriteGate(
                    SqliteSchema.ConnectionStringFor(sp.GetRequiredService<IOptions<SnapshotsOptions>>().Value.DataDir)));
                silo.Services.AddKeyedSingleton<IGrainStorage>(StorageName, (sp, name) =>
                    new OneWriterGrainStorage(AdoNetGrainStorageFactory.Create(sp, (string)name!), sp.GetRequiredService<SqliteWriteGate>()));
                // Histories and catalogues as rows, in the same database (the schema step above creates their tables).
                silo.Services.AddSingleton<ISnapshotRows>(sp => new SnapshotRows(
                    SqliteFactory.Instance.CreateDataSource(SqliteSchema.ConnectionStringFor(sp.GetRequiredService<IOptions<SnapshotsOptions>>().Value.DataDir)),
                    sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                    sp.GetRequiredService<SqliteWriteGate>()));
            }
            else
            {
                if (applySchema)
                {
                    silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp =>
                        new PostgresSchemaStartup(postgres, sp.GetRequiredService<ILogger<PostgresSchemaStartup>>()));
                }

                silo.AddAdoNetGrainStorage(StorageName, o =>
                {
                    o.Invariant = PostgresSchema.Invariant;
                    o.ConnectionString = postgres;
                });
                var objectStore = ObjectBackends.Resolve(builder.Configuration[ObjectStoreKey], hasPostgres: true);
                if (objectStore is ObjectStoreKinds.Postgres or ObjectStoreKinds.S3)
                {
                    // Objects in the same database (Sql/PostgreSQL/0004-object-packs.sql) or an S3 bucket
                    // (Snapshots:S3); DataDir only caches them.
                    silo.Services.AddSingleton(sp =>
                    {
                        var snapshots = sp.GetRequiredService<IOptions<SnapshotsOptions>>().Value;
                        var backend = objectStore == ObjectStoreKinds.S3
                            ? ObjectBackends.S3(builder.Configuration.GetSection(S3Options.Section).Get<S3Options>() ?? new S3Options())
                            : ObjectBackends.Postgres(postgres, sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId);
                        return new WorkspaceStores(new PackCache(backend, snapshots.WorkspacesDirectory, snapshots.CacheBytes));
                    });
                }
                // Histories and catalogues as rows (Sql/PostgreSQL/0003-snapshot-rows.sql), a track's in one round trip.
                silo.Services.AddSingleton<ISnapshotRows>(sp => new SnapshotRows(
                    PostgresRowsDataSource.Create(postgres),
                    sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                    writeGate: null));
            }

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
