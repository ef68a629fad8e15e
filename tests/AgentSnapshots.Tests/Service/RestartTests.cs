using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Service;

/// <summary>Sessions and workspaces survive a full cluster restart on the same SQLite file and data directory.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task A_session_survives_a_full_cluster_restart()
    {
        using var temp = new TempDirectory("as-restart");
        var dataDir = temp.Combine("data");
        var roots = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var dir = Directory.CreateDirectory(Path.Combine(roots, "ws")).FullName;
        File.WriteAllText(Path.Combine(dir, "a.txt"), "before\n");

        var cluster = await ServiceCluster.StartAsync(dataDir, roots);
        TrackResult first;
        SessionHistory before;
        try
        {
            var session = cluster.Client.GetGrain<ISessionGrain>("restart-1");
            first = await session.TrackAsync(dir, "before restart");
            before = await session.HistoryAsync();
        }
        finally
        {
            await ClusterTeardown.StopAsync(cluster);
        }

        File.WriteAllText(Path.Combine(dir, "a.txt"), "after\n");
        cluster = await ServiceCluster.StartAsync(dataDir, roots);
        try
        {
            var session = cluster.Client.GetGrain<ISessionGrain>("restart-1");
            var after = await session.HistoryAsync();
            var diff = await session.DiffAsync(first.Hash.AsHash(), null);
            var second = await session.TrackAsync(null, "after restart");
            var restore = await session.RestoreAsync(first.Hash.AsHash());

            Assert.Equal(dir, after.Workspace);
            Assert.Equal(before.Snapshots, after.Snapshots);
            Assert.Equal("a.txt", Assert.Single(diff.Files).File);
            Assert.NotEqual(first.Hash, second.Hash);
            Assert.Equal(["a.txt"], restore.Written);
            Assert.Equal("before\n", File.ReadAllText(Path.Combine(dir, "a.txt")));
            Assert.Equal(["before restart", "after restart", $"safety: before restore to {first.Hash[..8]}"],
                (await session.HistoryAsync()).Snapshots.Select(s => s.Label));
        }
        finally
        {
            await ClusterTeardown.StopAsync(cluster);
        }
    }
}
