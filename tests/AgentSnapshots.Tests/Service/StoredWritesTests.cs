using AgentSnapshots.Silo;
using Microsoft.Data.Sqlite;

namespace AgentSnapshots.Tests.Service;

/// <summary>Recording a snapshot writes a bounded amount of stored state however long the history already is.</summary>
public sealed class StoredWritesTests(ServiceClusterFixture fixture)
{
    /// <summary>Every stored record of the session's and its workspace's grains (named by <paramref name="keys"/>), with its version.</summary>
    private Dictionary<string, long> Versions(params string[] keys)
    {
        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(fixture.DataDir));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT GrainTypeString, GrainIdExtensionString, Version FROM OrleansGrainState";
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var key = reader.GetString(0) + "|" + reader.GetString(1);
            if (keys.Any(k => key.Contains(k, StringComparison.Ordinal))) versions[key] = reader.GetInt64(2);
        }
        return versions;
    }

    [Fact]
    public async Task A_track_after_two_hundred_rewrites_only_the_last_pages()
    {
        var dir = fixture.NewWorkspace("writes");
        var session = fixture.Grains.GetGrain<ISessionGrain>("writes");
        for (var i = 0; i < 200; i++)
        {
            File.WriteAllText(Path.Combine(dir, "a.txt"), $"turn {i}\n");
            await session.Track(i == 0 ? dir : null, $"turn {i}");
        }
        // Let the steps' stats land, so their page writes do not count below.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await session.History();
        // Other test classes share the cluster: only this session's and its workspace's records count.
        var workspaceId = AgentSnapshots.Engine.WorkspaceIdentity.IdFor(AgentSnapshots.Engine.WorkspaceIdentity.RealPath(dir)!);
        var before = Versions("session/writes/", "|writes", workspaceId);

        File.WriteAllText(Path.Combine(dir, "a.txt"), "one more\n");
        await session.Track(null, "one more");

        var after = Versions("session/writes/", "|writes", workspaceId);
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var v) || v != kv.Value).Select(kv => kv.Key).ToList();
        // The session's last history page and the workspace's last catalogue page (the step's stats may rewrite
        // the history page once more); never the session's or workspace's own state, never the older pages.
        var pages = before.Keys.Where(k => k.StartsWith("page|", StringComparison.Ordinal)).ToList();
        Assert.True(pages.Count >= 8, "200 snapshots span several pages of the history and of the catalogue");
        string[] lastPages = [LastPage(pages, "session/writes/history/"), LastPage(pages, workspaceId + "/catalogue/")];
        Assert.Equal(lastPages.Order(StringComparer.Ordinal), changed.Order(StringComparer.Ordinal));
    }

    /// <summary>The record of the highest-numbered page whose key contains <paramref name="part"/>.</summary>
    private static string LastPage(IEnumerable<string> pages, string part) =>
        pages.Where(k => k.Contains(part, StringComparison.Ordinal))
            .MaxBy(k => int.Parse(k[(k.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture))!;
}
