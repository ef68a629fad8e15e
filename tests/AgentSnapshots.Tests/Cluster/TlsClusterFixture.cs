using AgentSnapshots.Tests.Support;
using Npgsql;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Two real silo processes in cluster mode on one PostgreSQL database, with mutual TLS from <see cref="ClusterCertificates.Ours"/>,
/// sharing a data directory and a workspace root; each has its own silo, gateway and HTTP port.
/// </summary>
public sealed class TlsClusterFixture(PostgresServer server) : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("as-tls-cluster");

    public string ConnectionString { get; private set; } = "";

    public SiloProcess First { get; private set; } = null!;

    /// <summary>The first silo's silo-to-silo port.</summary>
    public int FirstSiloPort { get; } = LoopbackPort.Free();

    public SiloProcess Second { get; private set; } = null!;

    public string Root => _temp.Combine("work");

    public string DataDir => _temp.Combine("data");

    /// <summary>A silo's settings for this cluster, with the TLS material of <paramref name="certificates"/>.</summary>
    public Dictionary<string, string> SiloSettings(ClusterCertificates certificates) => new(certificates.SiloSettings())
    {
        ["ConnectionStrings__Postgres"] = ConnectionString,
        ["Orleans__ProbeTimeout"] = "00:00:01",
        ["Orleans__NumVotesForDeathDeclaration"] = "1",
        ["Orleans__TableRefreshTimeout"] = "00:00:02",
        ["Orleans__IAmAliveTablePublishTimeout"] = "00:00:02",
    };

    /// <summary>The silos the membership table lists as active (status 3).</summary>
    public async Task<long> ActiveSilosAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM agentsnapshots_membership WHERE status = 3", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("tls");
        Directory.CreateDirectory(Root);
        var first = SiloSettings(ClusterCertificates.Ours);
        first["Orleans__SiloPort"] = FirstSiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        First = await SiloProcess.StartAsync(DataDir, Root, Root, first);
        Second = await SiloProcess.StartAsync(DataDir, Root, Root, SiloSettings(ClusterCertificates.Ours));
    }

    public async ValueTask DisposeAsync()
    {
        if (Second is not null) await Second.DisposeAsync();
        if (First is not null) await First.DisposeAsync();
        try
        {
            await server.DropDatabaseAsync(ConnectionString);
        }
        catch (NpgsqlException)
        {
            // Best effort: a throwaway server is deleted anyway.
        }
        _temp.Dispose();
    }
}
