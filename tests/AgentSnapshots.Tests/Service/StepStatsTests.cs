using System.Globalization;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// Each step's stats (files changed, lines added and deleted, exact) are computed off the request path, stored with
/// the history, equal to git's numstat, and survive a restart without being computed again.
/// </summary>
public sealed class StepStatsTests
{
    private static async Task<SessionHistory> HistoryWithSteps(ISessionGrain session, int steps)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var history = await session.HistoryAsync();
            if (history.Snapshots.Skip(1).Count(s => s.Step is not null) >= steps || DateTime.UtcNow > deadline) return history;
            await Task.Delay(50);
        }
    }

    /// <summary>(files changed, additions, deletions) by <c>git diff --numstat</c> between two trees of the store.</summary>
    private static (int Files, long Additions, long Deletions) GitNumstat(string store, string from, string to)
    {
        var lines = Git.Run(Path.GetTempPath(), "--git-dir", store, "diff", "--minimal", "--numstat", from, to)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        long additions = 0, deletions = 0;
        foreach (var line in lines)
        {
            var parts = line.Split('\t');
            additions += long.Parse(parts[0], CultureInfo.InvariantCulture);
            deletions += long.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        return (lines.Length, additions, deletions);
    }

    [Fact]
    public async Task Steps_equal_git_numstat_and_survive_a_restart_without_recomputing()
    {
        using var temp = new TempDirectory("as-steps");
        var dataDir = temp.Combine("data");
        var roots = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var dir = Directory.CreateDirectory(Path.Combine(roots, "ws")).FullName;
        File.WriteAllText(Path.Combine(dir, "a.txt"), "one\ntwo\nthree\n");
        File.WriteAllText(Path.Combine(dir, "b.txt"), "b\n");

        SessionHistory before;
        var cluster = await ServiceCluster.StartAsync(dataDir, roots);
        try
        {
            var session = cluster.Client.GetGrain<ISessionGrain>("steps");
            await session.TrackAsync(dir, "start");
            File.WriteAllText(Path.Combine(dir, "a.txt"), "one\n2\nthree\nfour\n");
            File.Delete(Path.Combine(dir, "b.txt"));
            File.WriteAllText(Path.Combine(dir, "c.txt"), "c1\nc2\n");
            await session.TrackAsync(null, "turn 1");
            await session.TrackAsync(null, "no change");
            before = await HistoryWithSteps(session, 2);
        }
        finally
        {
            await ClusterTeardown.StopAsync(cluster);
        }

        Assert.Null(before.Snapshots[0].Step);
        var turn = before.Snapshots[1].Step;
        Assert.NotNull(turn);
        var store = Path.Combine(dataDir, "workspaces", WorkspaceIdOf(dir));
        var git = GitNumstat(store, before.Snapshots[0].Hash, before.Snapshots[1].Hash);
        Assert.Equal((git.Files, git.Additions, git.Deletions, true), (turn.Changed, turn.Additions, turn.Deletions, turn.Exact));
        Assert.Equal(new StepStats(0, 0, 0, true), before.Snapshots[2].Step);

        // After a restart the stored steps are there at once: nothing is computed again.
        cluster = await ServiceCluster.StartAsync(dataDir, roots);
        try
        {
            var after = await cluster.Client.GetGrain<ISessionGrain>("steps").HistoryAsync();
            Assert.Equal(before.Snapshots.Select(s => s.Step), after.Snapshots.Select(s => s.Step));
        }
        finally
        {
            await ClusterTeardown.StopAsync(cluster);
        }
    }

    private static string WorkspaceIdOf(string dir) => AgentSnapshots.Engine.WorkspaceIdentity.IdFor(AgentSnapshots.Engine.WorkspaceIdentity.RealPath(dir)!);
}
