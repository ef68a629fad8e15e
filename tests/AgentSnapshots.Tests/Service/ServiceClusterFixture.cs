using AgentSnapshots.Tests.Support;
using Orleans.TestingHost;

[assembly: AssemblyFixture(typeof(AgentSnapshots.Tests.Service.ServiceClusterFixture))]

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// A service cluster (<see cref="ServiceCluster"/>) in a temp directory holding <c>data</c> and the workspace root
/// <c>work</c>. With the default settings it is one cluster for the whole test assembly: a class takes it in its
/// constructor. Classes run in parallel on it, so each test uses its own sessions and workspaces
/// (<see cref="NewWorkspace"/> gives each call a directory of its own) and looks only at what it made.
/// Derived fixtures with other settings are class fixtures.
/// </summary>
public class ServiceClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("as-svc");
    private int _workspaces;

    /// <summary>Settings beyond the data directory and root (none here).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

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
        Cluster = await ServiceCluster.StartAsync(DataDir, Roots, Settings);
    }

    /// <summary>A new, empty workspace directory under the root, named after <paramref name="name"/> and never handed out before.</summary>
    public string NewWorkspace(string name) =>
        Directory.CreateDirectory(Path.Combine(Roots, $"{name}-{Interlocked.Increment(ref _workspaces)}")).FullName;

    public async ValueTask DisposeAsync()
    {
        await ClusterTeardown.StopAsync(Cluster);
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }
}
