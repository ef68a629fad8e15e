using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace AgentSnapshots.Tests.Service;

/// <summary>Our SQLite schema and the real Orleans ADO.NET storage provider running on it.</summary>
public sealed class SqliteStorageTests(ServiceClusterFixture fixture)
{
    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void Applying_the_schema_twice_changes_nothing()
    {
        using var temp = new TempDirectory("as-sqlite");
        var dataDir = temp.Combine("nested", "data");

        SqliteSchema.Apply(dataDir);
        SqliteSchema.Apply(dataDir);

        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(dataDir));
        connection.Open();
        Assert.Equal(4, Scalar(connection, "SELECT COUNT(*) FROM OrleansQuery"));
        Assert.Equal(4, Scalar(connection, """
            SELECT COUNT(*) FROM OrleansQuery
            WHERE QueryKey IN ('ReadFromStorageKey', 'WriteToStorageKey', 'ClearStorageKey', 'DeleteStorageKey')
            """));
        Assert.Equal(2, Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('OrleansQuery', 'OrleansGrainState')"));
        Assert.Equal(0, Scalar(connection, "SELECT COUNT(*) FROM OrleansGrainState"));
        Assert.True(File.Exists(Path.Combine(dataDir, SqliteSchema.DatabaseFileName)));
    }

    [Fact]
    public void The_silo_applied_the_schema_to_its_data_directory()
    {
        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(fixture.DataDir));
        connection.Open();
        Assert.Equal(4, Scalar(connection, "SELECT COUNT(*) FROM OrleansQuery"));
    }

    [Fact]
    public async Task State_round_trips_through_the_provider_with_optimistic_versions()
    {
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(SiloHostingExtensions.StorageName);
        var grainId = GrainId.Create("sessiongrain", "storage-round-trip");
        // A page of a session's history, as the session grain stores it.
        var written = new GrainState<List<SessionSnapshot>>(
        [
            new SessionSnapshot { Hash = new string('1', 40), Label = "first", Time = DateTimeOffset.UnixEpoch, Files = 3, Skipped = 1 },
        ]);

        await storage.WriteStateAsync("page", grainId, written);
        var firstVersion = written.ETag;
        written.State!.Add(new SessionSnapshot { Hash = new string('2', 40), Time = DateTimeOffset.UnixEpoch.AddDays(1), Files = 4, Step = new SessionStep { Changed = 1, Additions = 2, Exact = true } });
        await storage.WriteStateAsync("page", grainId, written);
        var read = new GrainState<List<SessionSnapshot>>([]);
        await storage.ReadStateAsync("page", grainId, read);
        var stale = new GrainState<List<SessionSnapshot>>([]) { ETag = firstVersion, RecordExists = true };
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("page", grainId, stale));
        var duplicate = new GrainState<List<SessionSnapshot>>([]);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("page", grainId, duplicate));
        // A write from a version of a row that does not exist is a conflict too, and creates no row.
        var neverWritten = GrainId.Create("sessiongrain", "storage-never-written");
        var phantom = new GrainState<List<SessionSnapshot>>([]) { ETag = "5", RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("page", neverWritten, phantom));
        var absent = new GrainState<List<SessionSnapshot>>([]);
        await storage.ReadStateAsync("page", neverWritten, absent);
        Assert.False(absent.RecordExists);
        Assert.Null(absent.ETag);

        Assert.Equal("1", firstVersion);
        Assert.Equal("2", read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal([new string('1', 40), new string('2', 40)], read.State!.Select(s => s.Hash));
        Assert.Equal(("first", 3, 1), (read.State![0].Label, read.State![0].Files, read.State![0].Skipped));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(1), read.State![1].Time);
        Assert.Equal((1, 2L, true), (read.State![1].Step!.Changed, read.State![1].Step!.Additions, read.State![1].Step!.Exact));
        Assert.NotNull(conflict);

        await storage.ClearStateAsync("page", grainId, read);
        var cleared = new GrainState<List<SessionSnapshot>>([]);
        await storage.ReadStateAsync("page", grainId, cleared);

        Assert.Equal("3", cleared.ETag);
        Assert.False(cleared.RecordExists);
        Assert.Empty(cleared.State!);
    }

    [Fact]
    public async Task Stored_state_holds_hashes_and_counts_not_content()
    {
        var dir = fixture.NewWorkspace("stored-bytes");
        File.WriteAllText(Path.Combine(dir, "big.txt"), string.Concat(Enumerable.Repeat("some file content line\n", 20_000)));
        var session = fixture.Grains.GetGrain<ISessionGrain>("stored-bytes");
        for (var i = 0; i < 5; i++)
        {
            File.AppendAllText(Path.Combine(dir, "big.txt"), $"step {i}\n");
            await session.TrackAsync(dir, $"step {i}");
        }

        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(fixture.DataDir));
        connection.Open();
        using var command = connection.CreateCommand();
        // The session's row and its history's rows: every column as text.
        command.CommandText = """
            SELECT session_id || '|' || IFNULL(workspace_id, '') || '|' || IFNULL(directory, '') || '|' || synced_epoch FROM snapshots_session WHERE session_id = 'stored-bytes'
            UNION ALL
            SELECT hash || '|' || IFNULL(label, '') || '|' || taken_ms || '|' || files || '|' || skipped || '|' || IFNULL(pending_from, '') || '|' || IFNULL(changed, '')
            FROM snapshots_history WHERE session_id = 'stored-bytes'
            """;
        var rows = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) rows.Add(reader.GetString(0));
        }
        var text = string.Join("\n", rows);

        Assert.Equal(6, rows.Count);
        Assert.InRange(rows.Sum(r => r.Length), 1, 5 * 512);
        Assert.Contains("step 4", text, StringComparison.Ordinal);
        Assert.DoesNotContain("some file content", text, StringComparison.Ordinal);
    }
}
