using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Service;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace AgentSnapshots.Tests.Retention;

/// <summary>
/// A one-silo in-process cluster as <see cref="ServiceClusterFixture"/> builds it (the silo's own hosting code, SQLite
/// storage, real object stores), with small <c>Snapshots:Retention</c> settings so tests see retention act.
/// </summary>
public abstract class RetentionClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("as-ret");

    protected abstract IReadOnlyDictionary<string, string?> Retention { get; }

    public string DataDir => _temp.Combine("data");

    public string Roots => _temp.Combine("work");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Roots);
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = ServiceCluster.ServiceId;
        builder.ConfigureSiloHost((_, host) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Snapshots:DataDir"] = DataDir,
                ["Snapshots:WorkspaceRoots:0"] = Roots,
            };
            foreach (var (key, value) in Retention)
            {
                settings["Snapshots:Retention:" + key] = value;
            }
            host.Configuration.AddInMemoryCollection(settings);
            host.AddAgentSnapshotsServices();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public string NewWorkspace(string name) => Directory.CreateDirectory(Path.Combine(Roots, name)).FullName;

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await ServiceCluster.StopAsync(Cluster);
        }
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Keep each session's last 2 snapshots, nothing for its age, no grace, collection only on request.</summary>
public sealed class KeepLastTwoCluster : RetentionClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Retention { get; } = new Dictionary<string, string?>
    {
        ["KeepLast"] = "2",
        ["KeepYoungerThan"] = "00:00:00",
        ["Grace"] = "00:00:00",
        ["CollectEvery"] = "0",
    };
}

/// <summary>Keep everything by count and age, but at most 1 MiB per store, collected automatically every 3 snapshots.</summary>
public sealed class MaxBytesCluster : RetentionClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Retention { get; } = new Dictionary<string, string?>
    {
        ["KeepLast"] = "1000",
        ["KeepYoungerThan"] = "1.00:00:00",
        ["MaxBytes"] = (1L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Grace"] = "00:00:00",
        ["CollectEvery"] = "3",
    };
}
