using AgentSnapshots.Engine;
using AgentSnapshots.Silo;
using Microsoft.Data.Sqlite;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// What a track writes: one history row and one catalogue row (in the transaction the workspace grain runs), however
/// long the history already is; the previous step's stats ride along instead of a write of their own.
/// </summary>
public sealed class StoredWritesTests(ServiceClusterFixture fixture)
{
    /// <summary>Every history row of <paramref name="session"/>, by sequence, as text.</summary>
    private Dictionary<long, string> HistoryRows(string session) => Rows(
        "SELECT seq, hash || '|' || IFNULL(label, '') || '|' || IFNULL(pending_from, '') || '|' || IFNULL(changed, -1) || '|' || IFNULL(additions, -1) FROM snapshots_history WHERE session_id = $key",
        session, r => r.GetInt64(0));

    /// <summary>Every catalogue row of <paramref name="workspaceId"/>, by hash, as text.</summary>
    private Dictionary<string, string> CatalogueRows(string workspaceId) => Rows(
        "SELECT hash, recorded_seq || '|' || taken_ms || '|' || owners FROM snapshots_catalogue WHERE workspace_id = $key",
        workspaceId, r => r.GetString(0));

    private Dictionary<TKey, string> Rows<TKey>(string sql, string key, Func<SqliteDataReader, TKey> keyOf)
        where TKey : notnull
    {
        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(fixture.DataDir));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$key", key);
        var rows = new Dictionary<TKey, string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows[keyOf(reader)] = reader.GetString(1);
        return rows;
    }

    private long HistoryBytes(string session)
    {
        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(fixture.DataDir));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT SUM(length(hash) + IFNULL(length(label), 0) + IFNULL(length(pending_from), 0) + 8 * 8) FROM snapshots_history WHERE session_id = $key";
        command.Parameters.AddWithValue("$key", session);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_track_after_two_hundred_writes_one_history_row_and_one_catalogue_row()
    {
        var dir = fixture.NewWorkspace("writes");
        var session = fixture.Grains.GetGrain<ISessionGrain>("writes");
        for (var i = 0; i < 200; i++)
        {
            File.WriteAllText(Path.Combine(dir, "a.txt"), $"turn {i}\n");
            await session.TrackAsync(i == 0 ? dir : null, $"turn {i}");
        }
        // Let the last step's stats reach the session grain.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var workspaceId = WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(dir)!);
        var history = HistoryRows("writes");
        var catalogue = CatalogueRows(workspaceId);
        Assert.Equal(200, history.Count);
        Assert.Equal(200, catalogue.Count);
        // Each step (hash, label, time, counts and its stats) costs the history well under 1 KiB.
        Assert.InRange(HistoryBytes("writes") / 200.0, 1, 1024);
        // The last step's stats wait in memory for the next track's write.
        Assert.Contains("|turn 199|", history[200], StringComparison.Ordinal);
        Assert.EndsWith("|-1|-1", history[200], StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir, "a.txt"), "one more\n");
        var tracked = await session.TrackAsync(null, "one more");

        var historyAfter = HistoryRows("writes");
        var catalogueAfter = CatalogueRows(workspaceId);
        var changedHistory = historyAfter.Where(kv => !history.TryGetValue(kv.Key, out var v) || v != kv.Value).Select(kv => kv.Key).Order().ToList();
        var changedCatalogue = catalogueAfter.Where(kv => !catalogue.TryGetValue(kv.Key, out var v) || v != kv.Value).Select(kv => kv.Key).ToList();
        // The new snapshot's row, and the stats of the steps still pending (the last one at least) carried by the same
        // write; no other row.
        Assert.Equal(201L, changedHistory[^1]);
        Assert.Contains(200L, changedHistory);
        Assert.All(changedHistory.SkipLast(1), s => Assert.EndsWith("|-1|-1", history[s], StringComparison.Ordinal));
        Assert.All(changedHistory.SkipLast(1), s => Assert.DoesNotContain("|-1", historyAfter[s], StringComparison.Ordinal));
        Assert.StartsWith(tracked.Hash + "|one more|", historyAfter[201], StringComparison.Ordinal);
        Assert.EndsWith("|1|1", historyAfter[200], StringComparison.Ordinal);
        Assert.Equal([tracked.Hash], changedCatalogue);
    }
}
