using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// The snapshot rows on PostgreSQL with Npgsql's automatic preparation (<see cref="PostgresRowsDataSource"/>): a
/// track's statements end up prepared on the connection that runs them, and what they write reads back exactly.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class PostgresRowsDataSourceTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_tracks_statements_are_prepared_after_a_few_tracks_and_what_they_wrote_reads_back_exactly()
    {
        await PostgresSchema.ApplyAsync(database.ConnectionString, NullLogger.Instance, CancellationToken.None);
        // One connection in the pool: the one asked about below is the one every write used.
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString;
        var source = PostgresRowsDataSource.Create(connectionString);
        await using var rows = new SnapshotRows(source, "pg-rows", writeGate: null);
        var expected = new List<HistoryRow>();
        for (var sequence = 1L; sequence <= 12; sequence++)
        {
            var batch = new RowBatch();
            var hash = $"{sequence:x40}";
            var row = new HistoryRow("s", sequence, hash, sequence % 2 == 0 ? null : $"step {sequence}", sequence, (int)sequence, 0,
                sequence == 1 ? null : $"{sequence - 1:x40}", null);
            if (sequence == 1) batch.Sessions.Add(new SessionRow("s", "w", "/w", 0));
            batch.History.Add(row);
            batch.Catalogue.Add(new CatalogueRow("w", hash, sequence, sequence, Safety: false, $"0:{sequence}"));
            if (sequence > 1)
            {
                var step = new StepRow(sequence - 1, 1, sequence, 0, Exact: true);
                batch.Steps.Add(("s", step));
                expected[^1] = expected[^1] with { Step = step, PendingFrom = null };
            }
            expected.Add(row);
            await rows.WriteAsync(batch);
        }

        List<string> prepared = [];
        await using (var connection = await source.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("SELECT statement FROM pg_prepared_statements", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) prepared.Add(reader.GetString(0));
        }
        var stored = await rows.ReadSessionAsync("s");

        Assert.Contains(prepared, s => s.Contains("INSERT INTO snapshots_history", StringComparison.Ordinal));
        Assert.Contains(prepared, s => s.Contains("INSERT INTO snapshots_catalogue", StringComparison.Ordinal));
        Assert.Contains(prepared, s => s.Contains("UPDATE snapshots_history", StringComparison.Ordinal));
        Assert.NotNull(stored);
        Assert.Equal(expected, stored.History);
    }

    [Fact]
    public void A_connection_string_that_says_Max_Auto_Prepare_itself_is_kept()
    {
        using var chosen = PostgresRowsDataSource.Create("Host=localhost;Max Auto Prepare=0");
        using var chosenOtherwise = PostgresRowsDataSource.Create("Host=localhost;maxautoprepare=3");
        using var defaulted = PostgresRowsDataSource.Create("Host=localhost");

        Assert.Equal(0, new NpgsqlConnectionStringBuilder(chosen.ConnectionString).MaxAutoPrepare);
        Assert.Equal(3, new NpgsqlConnectionStringBuilder(chosenOtherwise.ConnectionString).MaxAutoPrepare);
        Assert.Equal(PostgresRowsDataSource.AutoPreparedStatements, new NpgsqlConnectionStringBuilder(defaulted.ConnectionString).MaxAutoPrepare);
    }
}
