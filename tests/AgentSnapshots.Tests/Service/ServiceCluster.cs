using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// A one-silo in-process cluster configured by the silo's own hosting code (<c>AddAgentSnapshotsServices</c>):
/// SQLite grain storage in the data directory, one workspace root. Starting it again on the same directories and
/// service id sees the same stored state.
/// </summary>
public static class ServiceCluster
{
    public const string ServiceId = "agentsnapshots-tests";

    /// <param name="dataDir">Its <c>Snapshots:DataDir</c>.</param>
    /// <param name="roots">Its only workspace root.</param>
    /// <param name="settings">Further settings (keys as in appsettings.json, e.g. <c>Snapshots:Retention:KeepLast</c>).</param>
    public static async Task<InProcessTestCluster> StartAsync(string dataDir, string roots, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = ServiceId;
        builder.ConfigureSiloHost((_, host) =>
        {
            var configuration = new Dictionary<string, string?>
            {
                ["Snapshots:DataDir"] = dataDir,
                ["Snapshots:WorkspaceRoots:0"] = roots,
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                configuration[key] = value;
            }
            host.Configuration.AddInMemoryCollection(configuration);
            host.AddAgentSnapshotsServices();
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await ClusterTeardown.StopAsync(cluster);
            throw;
        }
        return cluster;
    }
}
