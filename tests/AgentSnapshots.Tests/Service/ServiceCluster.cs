using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// A one-silo in-process cluster configured by the silo's own hosting code (<c>AddAgentSnapshotsServices</c>):
/// SQLite grain storage in <see cref="DataDir"/>, workspace roots = <see cref="Roots"/>. Starting it again on
/// the same directories and service id sees the same stored state.
/// </summary>
public static class ServiceCluster
{
    public const string ServiceId = "agentsnapshots-tests";

    public static async Task<InProcessTestCluster> StartAsync(string dataDir, string roots, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = ServiceId;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Snapshots:DataDir"] = dataDir,
                ["Snapshots:WorkspaceRoots:0"] = roots,
            });
            if (settings is not null)
            {
                host.Configuration.AddInMemoryCollection(settings);
            }
            host.AddAgentSnapshotsServices();
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static async Task StopAsync(InProcessTestCluster cluster)
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}

/// <summary>One cluster per test class: a temp directory holding <c>data</c> and the workspace root <c>work</c>.</summary>
public sealed class ServiceClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("as-svc");

    public string DataDir => _temp.Combine("data");

    /// <summary>The only workspace root; workspaces are created under it by <see cref="NewWorkspace"/>.</summary>
    public string Roots => _temp.Combine("work");

    /// <summary>A directory outside every root.</summary>
    public string Outside => _temp.Combine("outside");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Roots);
        Directory.CreateDirectory(Outside);
        Cluster = await ServiceCluster.StartAsync(DataDir, Roots);
    }

    /// <summary>A new, empty workspace directory under the root.</summary>
    public string NewWorkspace(string name) => Directory.CreateDirectory(Path.Combine(Roots, name)).FullName;

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await ServiceCluster.StopAsync(Cluster);
        }
        _temp.Dispose();
    }
}
