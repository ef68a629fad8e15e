using System.Globalization;
using AgentSnapshots.Tests.Service;

namespace AgentSnapshots.Tests.Retention;

/// <summary>Keep each session's last 2 snapshots, nothing for its age, no grace, collection only on request.</summary>
public sealed class KeepLastTwoCluster : ServiceClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Snapshots:Retention:KeepLast"] = "2",
        ["Snapshots:Retention:KeepYoungerThan"] = "00:00:00",
        ["Snapshots:Retention:Grace"] = "00:00:00",
        ["Snapshots:Retention:CollectEvery"] = "0",
    };
}

/// <summary>Keep everything by count and age, but at most 1 MiB per store, collected automatically every 3 snapshots.</summary>
public sealed class MaxBytesCluster : ServiceClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Snapshots:Retention:KeepLast"] = "1000",
        ["Snapshots:Retention:KeepYoungerThan"] = "1.00:00:00",
        ["Snapshots:Retention:MaxBytes"] = (1L << 20).ToString(CultureInfo.InvariantCulture),
        ["Snapshots:Retention:Grace"] = "00:00:00",
        ["Snapshots:Retention:CollectEvery"] = "3",
    };
}
