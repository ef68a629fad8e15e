using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots;

public static class GrainServiceCollectionExtensions
{
    /// <summary>
    /// The per-silo services the grains share: the dedicated threads for file work, the summary cache, the
    /// workspace locks this silo holds, the file watcher that tells tracks what changed (<see cref="WatchOptions"/>),
    /// and the filter that gives engine errors their wire codes.
    /// </summary>
    public static IServiceCollection AddAgentSnapshotsGrainServices(this IServiceCollection services)
    {
        services.AddSingleton(sp => new FileWorkPools(sp.GetRequiredService<IOptions<SnapshotsOptions>>().Value));
        services.AddSingleton(sp => new SummaryCache(sp.GetRequiredService<IOptions<SnapshotsOptions>>().Value.Summary.CacheBytes));
        // Single-writer locks of the workspaces this silo activated; released when the silo's services are disposed.
        services.AddSingleton<WorkspaceLockSet>();
        // At most Snapshots:MaxActiveWorkspaces of them active at once (each holds its lock file open).
        services.AddSingleton<ActiveWorkspaces>();
        services.AddSingleton(sp => new WatchRegistry(sp.GetRequiredService<IOptions<SnapshotsOptions>>().Value.Watch, sp.GetRequiredService<ILogger<WatchRegistry>>()));
        services.AddSingleton<IIncomingGrainCallFilter, EngineErrorFilter>();
        // Local stores unless the host registered a backend's (Snapshots:ObjectStore postgres or s3) before.
        services.TryAddSingleton(new WorkspaceStores(null));
        return services;
    }
}
