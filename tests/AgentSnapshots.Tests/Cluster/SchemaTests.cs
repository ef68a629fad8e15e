using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentSnapshots.Tests.Cluster;

[Collection(PostgresCollectionDefinition.Name)]
public sealed class SchemaTests(PostgresServer server)
{
    private static readonly string[] ProviderKeys =
    [
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "InsertMembershipKey",
        "UpdateMembershipKey", "UpdateIAmAlivetimeKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",
    ];

    [Fact]
    public void Scripts_ship_in_the_output_directory_in_version_order()
    {
        var scripts = PostgresSchema.FindScripts(PostgresSchema.DefaultScriptDirectory);

        Assert.Equal([1, 2, 3, 4], scripts.Select(s => s.Version));
        Assert.Equal(["0001-storage", "0002-clustering", "0003-snapshot-rows", "0004-object-packs"], scripts.Select(s => s.Name));
    }

    [Fact]
    public async Task Applying_twice_applies_each_version_once_and_records_it()
    {
        var db = await server.CreateDatabaseAsync("schema_twice");
        try
        {
            var first = await PostgresSchema.ApplyAsync(db, NullLogger.Instance, TestContext.Current.CancellationToken);
            var second = await PostgresSchema.ApplyAsync(db, NullLogger.Instance, TestContext.Current.CancellationToken);

            Assert.Equal([1, 2, 3, 4], first);
            Assert.Empty(second);
            Assert.Equal(new HashSet<int> { 1, 2, 3, 4 }, await PostgresSchema.ReadAppliedVersionsAsync(db, TestContext.Current.CancellationToken));
            Assert.Equal(ProviderKeys.Order(), (await QueryKeysAsync(db)).Order());
        }
        finally
        {
            await server.DropDatabaseAsync(db);
        }
    }

    [Fact]
    public async Task Two_silos_applying_at_once_apply_each_version_exactly_once()
    {
        var db = await server.CreateDatabaseAsync("schema_concurrent");
        try
        {
            var results = await Task.WhenAll(
                Task.Run(() => PostgresSchema.ApplyAsync(db, NullLogger.Instance, TestContext.Current.CancellationToken)),
                Task.Run(() => PostgresSchema.ApplyAsync(db, NullLogger.Instance, TestContext.Current.CancellationToken)));

            Assert.Equal([1, 2, 3, 4], results.SelectMany(r => r).Order());
            Assert.Equal(new HashSet<int> { 1, 2, 3, 4 }, await PostgresSchema.ReadAppliedVersionsAsync(db, TestContext.Current.CancellationToken));
        }
        finally
        {
            await server.DropDatabaseAsync(db);
        }
    }

    [Fact]
    public async Task A_recorded_version_is_not_applied_again_and_a_new_one_is()
    {
        var db = await server.CreateDatabaseAsync("schema_upgrade");
        using var scripts = new TempDirectory("as-sql");
        try
        {
            File.Copy(Path.Combine(PostgresSchema.DefaultScriptDirectory, "0001-storage.sql"), scripts.Combine("0001-storage.sql"));
            Assert.Equal([1], await PostgresSchema.ApplyAsync(db, scripts.Path, NullLogger.Instance, TestContext.Current.CancellationToken));

            // An upgrade ships a new file; the old one must not run again (it would fail here if it did).
            File.WriteAllText(scripts.Combine("0001-storage.sql"), "SELECT 1/0;");
            File.WriteAllText(scripts.Combine("0003-extra.sql"), "CREATE TABLE upgrade_marker (id integer);");
            Assert.Equal([3], await PostgresSchema.ApplyAsync(db, scripts.Path, NullLogger.Instance, TestContext.Current.CancellationToken));
            Assert.Equal(new HashSet<int> { 1, 3 }, await PostgresSchema.ReadAppliedVersionsAsync(db, TestContext.Current.CancellationToken));
        }
        finally
        {
            await server.DropDatabaseAsync(db);
        }
    }

    [Fact]
    public async Task A_failing_script_rolls_back_and_is_not_recorded()
    {
        var db = await server.CreateDatabaseAsync("schema_failing");
        using var scripts = new TempDirectory("as-sql");
        try
        {
            File.WriteAllText(scripts.Combine("0001-bad.sql"), "CREATE TABLE half_done (id integer); SELECT 1/0;");
            await Assert.ThrowsAsync<PostgresException>(() => PostgresSchema.ApplyAsync(db, scripts.Path, NullLogger.Instance, TestContext.Current.CancellationToken));

            Assert.Empty(await PostgresSchema.ReadAppliedVersionsAsync(db, TestContext.Current.CancellationToken));
            await using var connection = new NpgsqlConnection(db);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new NpgsqlCommand("SELECT to_regclass('half_done') IS NULL", connection);
            Assert.True((bool)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
        }
        finally
        {
            await server.DropDatabaseAsync(db);
        }
    }

    private static async Task<List<string>> QueryKeysAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
