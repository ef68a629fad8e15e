using AgentSnapshots.Silo;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// A host with an Orleans client of its own for a cluster whose membership is in PostgreSQL (the ADO.NET gateway list
/// provider, re-read every second so a dead silo drops out fast). Tests add more to it before building it.
/// </summary>
public static class PostgresClusterClient
{
    public static HostApplicationBuilder CreateBuilder(string connectionString, string clusterId, string serviceId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = connectionString;
            });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        });
        return builder;
    }
}
