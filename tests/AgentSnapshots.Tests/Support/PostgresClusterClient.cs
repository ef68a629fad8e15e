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
    /// <param name="tls">The cluster's TLS material, when its silos use mutual TLS: the client presents its client certificate.</param>
    public static HostApplicationBuilder CreateBuilder(string connectionString, string clusterId, string serviceId, ClusterCertificates? tls = null)
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
            if (tls is not null)
            {
                // The test trusts its own silos; what is under test is that they check the client.
                client.UseTls(tls.LoadClientCertificate(), o => o.AllowAnyRemoteCertificate());
            }
        });
        return builder;
    }
}
