using System.Data;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// The clustering queries run as the Orleans ADO.NET provider runs them: the text from OrleansQuery and
/// parameters named and typed (DbType) the way the provider binds them. Covers what a healthy two-silo
/// run rarely reaches: stale table versions, racing writers, duplicate rows, cleanup.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusteringQueryTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const int Active = 3;
    private const int Dead = 6;
    private readonly string _deployment = "q-" + Guid.NewGuid().ToString("N")[..8];

    public async ValueTask InitializeAsync() =>
        await PostgresSchema.ApplyAsync(database.ConnectionString, NullLogger.Instance, CancellationToken.None);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_version_row_is_created_once_and_reads_return_it_without_silos()
    {
        Assert.True(await ScalarAsync<bool>("InsertMembershipVersionKey", P("DeploymentId", _deployment)));
        Assert.False(await ScalarAsync<bool>("InsertMembershipVersionKey", P("DeploymentId", _deployment)));

        var all = await RowsAsync("MembershipReadAllKey", P("DeploymentId", _deployment));
        var row = Assert.Single(all);
        Assert.Equal(0, row["Version"]);
        Assert.Equal(DBNull.Value, row["StartTime"]);

        var one = await RowsAsync("MembershipReadRowKey", [P("DeploymentId", _deployment), .. SiloKey(11111, 1)]);
        Assert.Equal(DBNull.Value, Assert.Single(one)["StartTime"]);
    }

    [Fact]
    public async Task Inserts_and_updates_need_the_current_table_version_and_only_one_racer_wins()
    {
        await ScalarAsync<bool>("InsertMembershipVersionKey", P("DeploymentId", _deployment));

        Assert.False(await InsertSiloAsync(port: 1000, version: 5)); // stale version
        Assert.True(await InsertSiloAsync(port: 1000, version: 0));
        Assert.False(await InsertSiloAsync(port: 1000, version: 1)); // same silo twice
        Assert.Equal(1, await VersionAsync());

        // Ten silos race to join with the same version: exactly one wins, the version moves once.
        var racers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => InsertSiloAsync(port: 2000 + i, version: 1))));
        Assert.Equal(1, racers.Count(won => won));
        Assert.Equal(2, await VersionAsync());

        var suspect = "S127.0.0.1:2000:1,2026-01-01 00:00:00.000 GMT";
        Assert.False(await UpdateSiloAsync(port: 1000, Dead, suspect, version: 1));
        Assert.False(await UpdateSiloAsync(port: 9999, Dead, suspect, version: 2)); // no such silo
        Assert.Equal(2, await VersionAsync());
        Assert.True(await UpdateSiloAsync(port: 1000, Dead, suspect, version: 2));
        Assert.Equal(3, await VersionAsync());

        var row = Assert.Single(await RowsAsync("MembershipReadRowKey", [P("DeploymentId", _deployment), .. SiloKey(1000, 1)]));
        Assert.Equal(Dead, row["Status"]);
        Assert.Equal(suspect, row["SuspectTimes"]);
        Assert.Equal(3, row["Version"]);

        // IAmAlive does not move the version.
        var alive = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        await ExecuteAsync("UpdateIAmAlivetimeKey", [P("DeploymentId", _deployment), .. SiloKey(1000, 1), P("IAmAliveTime", alive, DbType.DateTime)]);
        row = Assert.Single(await RowsAsync("MembershipReadRowKey", [P("DeploymentId", _deployment), .. SiloKey(1000, 1)]));
        Assert.Equal(alive, row["IAmAliveTime"]);
        Assert.Equal(3, await VersionAsync());
    }

    [Fact]
    public async Task Gateways_cleanup_and_delete_follow_status_and_age()
    {
        await ScalarAsync<bool>("InsertMembershipVersionKey", P("DeploymentId", _deployment));
        var old = DateTime.UtcNow.AddDays(-30);
        Assert.True(await InsertSiloAsync(port: 1, version: 0, status: Active, proxyPort: 30001, time: old));
        Assert.True(await InsertSiloAsync(port: 2, version: 1, status: Dead, proxyPort: 30002, time: old));
        Assert.True(await InsertSiloAsync(port: 3, version: 2, status: Dead, proxyPort: 30003, time: DateTime.UtcNow));
        Assert.True(await InsertSiloAsync(port: 4, version: 3, status: Active, proxyPort: 0, time: DateTime.UtcNow));

        var gateways = await RowsAsync("GatewaysQueryKey", P("DeploymentId", _deployment), P("Status", Active));
        Assert.Equal([30001], gateways.Select(g => (int)g["ProxyPort"]));

        await ExecuteAsync("CleanupDefunctSiloEntriesKey", [P("DeploymentId", _deployment), P("IAmAliveTime", DateTime.UtcNow.AddDays(-7), DbType.DateTime)]);
        var left = await RowsAsync("MembershipReadAllKey", P("DeploymentId", _deployment));
        Assert.Equal([1, 3, 4], left.Select(r => (int)r["Port"]).Order());

        await ExecuteAsync("DeleteMembershipTableEntriesKey", [P("DeploymentId", _deployment)]);
        Assert.Empty(await RowsAsync("MembershipReadAllKey", P("DeploymentId", _deployment)));
    }

    private Task<bool> InsertSiloAsync(int port, int version, int status = Active, int proxyPort = 30000, DateTime? time = null) =>
        ScalarAsync<bool>("InsertMembershipKey",
        [
            P("DeploymentId", _deployment), .. SiloKey(port, 1), P("SiloName", $"silo-{port}"), P("HostName", "host"),
            P("Status", status), P("ProxyPort", proxyPort), P("StartTime", time ?? DateTime.UtcNow, DbType.DateTime),
            P("IAmAliveTime", time ?? DateTime.UtcNow, DbType.DateTime), P("Version", version),
        ]);

    private Task<bool> UpdateSiloAsync(int port, int status, string? suspectTimes, int version) =>
        ScalarAsync<bool>("UpdateMembershipKey",
        [
            P("DeploymentId", _deployment), .. SiloKey(port, 1), P("IAmAliveTime", DateTime.UtcNow, DbType.DateTime),
            P("Status", status), P("SuspectTimes", (object?)suspectTimes ?? DBNull.Value, DbType.String), P("Version", version),
        ]);

    private async Task<int> VersionAsync() =>
        (int)(await RowsAsync("MembershipReadAllKey", P("DeploymentId", _deployment)))[0]["Version"];

    private static NpgsqlParameter[] SiloKey(int port, int generation) =>
        [P("Address", "127.0.0.1"), P("Port", port), P("Generation", generation)];

    private static NpgsqlParameter P(string name, object value, DbType? type = null)
    {
        // The provider sets DbType from the CLR type: string → String, int → Int32, DateTime → DateTime.
        var parameter = new NpgsqlParameter { ParameterName = name, Value = value };
        parameter.DbType = type ?? value switch
        {
            string => DbType.String,
            int => DbType.Int32,
            bool => DbType.Boolean,
            _ => throw new ArgumentException($"no DbType for {value.GetType()}"),
        };
        return parameter;
    }

    private static async Task<string> QueryTextAsync(NpgsqlConnection connection, string key)
    {
        await using var command = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @k", connection);
        command.Parameters.AddWithValue("k", key);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<T> ScalarAsync<T>(string key, params NpgsqlParameter[] parameters)
    {
        var rows = await RowsAsync(key, parameters);
        var row = Assert.Single(rows);
        Assert.Single(row);
        return (T)row.Values.Single();
    }

    private async Task<List<Dictionary<string, object>>> RowsAsync(string key, params NpgsqlParameter[] parameters)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(await QueryTextAsync(connection, key), connection);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    private async Task ExecuteAsync(string key, NpgsqlParameter[] parameters)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(await QueryTextAsync(connection, key), connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync();
    }
}
