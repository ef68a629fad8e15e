using AgentSnapshots.Tls;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo;

/// <summary>
/// Says at start what the silo opens to Orleans peers and clients (silo port, gateway, mutual TLS), so an operator
/// sees who can reach it without reading the settings; a cluster without TLS, and a one-node gateway (plain TCP on
/// loopback: any local user can call grains through it), are warnings.
/// </summary>
internal sealed partial class OrleansEndpointsLog(OrleansSettings settings, bool clusterMode, ClusterTlsMaterial? tls, ILogger<OrleansEndpointsLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var gateway = clusterMode
            ? (settings.GatewayPort ?? OrleansSettings.ClusterGatewayPort).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : settings.GatewayPort is { } port ? $"127.0.0.1:{port}" : "off (Orleans:GatewayPort not set)";
        var silo = clusterMode ? settings.SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"127.0.0.1:{settings.SiloPort}";
        if (tls is { IsEphemeral: true })
        {
            if (settings.GatewayPort is null)
            {
                OneNode(logger, silo, tls.Certificate.Subject);
            }
            else
            {
                OneNodePlainGateway(logger, silo, tls.Certificate.Subject, gateway);
            }
        }
        else if (tls is not null)
        {
            var (subject, notAfter, authorities) = (tls.Certificate.Subject, tls.Certificate.NotAfter.ToUniversalTime(), tls.Authorities.Count);
            MutualTls(logger, silo, gateway, subject, notAfter, authorities);
        }
        else if (clusterMode)
        {
            PlainCluster(logger, silo, gateway);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Orleans: silo port {SiloPort}, gateway {Gateway}, mutual TLS as {Subject} (expires {NotAfter:yyyy-MM-dd}); peers' certificates must chain to the {Authorities} CA certificate(s) of Orleans:Tls:CaFile")]
    private static partial void MutualTls(ILogger logger, string siloPort, string gateway, string subject, DateTime notAfter, int authorities);

    [LoggerMessage(Level = LogLevel.Information, Message = "Orleans: silo port {SiloPort}, mutual TLS as {Subject} (a throwaway certificate made at start, the only one accepted), gateway off (Orleans:GatewayPort not set)")]
    private static partial void OneNode(ILogger logger, string siloPort, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orleans: silo port {SiloPort}, mutual TLS as {Subject} (a throwaway certificate made at start, the only one accepted); gateway {Gateway} WITHOUT TLS: any local user can call grains through it without the HTTP key (set Orleans:Tls:CertificateFile, KeyFile and CaFile to require a client certificate, or unset Orleans:GatewayPort)")]
    private static partial void OneNodePlainGateway(ILogger logger, string siloPort, string subject, string gateway);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orleans: silo port {SiloPort}, gateway {Gateway} WITHOUT TLS (Orleans:Tls:Disabled): any host that reaches these ports can join the cluster or call its grains")]
    private static partial void PlainCluster(ILogger logger, string siloPort, string gateway);
}
