using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace AgentSnapshots.Client;

public static class ClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers an Orleans client and <see cref="AgentSnapshotsClient"/>. The client finds the cluster's gateways in
    /// the PostgreSQL membership table when <see cref="AgentSnapshotsClientOptions.PostgresConnectionString"/> is set,
    /// and otherwise uses the static <see cref="AgentSnapshotsClientOptions.Gateways"/> (any of them may serve a call).
    /// The client connects when the host starts.
    /// </summary>
    public static IServiceCollection AddAgentSnapshotsClient(this IServiceCollection services, Action<AgentSnapshotsClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new AgentSnapshotsClientOptions();
        configure?.Invoke(options);
        var postgres = string.IsNullOrWhiteSpace(options.PostgresConnectionString) ? null : options.PostgresConnectionString;
        var endpoints = postgres is null ? options.EffectiveGateways.Select(ParseGateway).ToArray() : [];

        services.AddOrleansClient(client =>
        {
            if (postgres is null)
            {
                client.UseStaticClustering(endpoints);
            }
            else
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = postgres;
                });
            }
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = options.GatewayListRefreshPeriod);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
            client.UseConnectionRetryFilter(new TimeLimitedRetryFilter(options.ConnectRetryTime));
        });
        services.AddSingleton<AgentSnapshotsClient>();
        return services;
    }

    /// <summary>Parses <c>HOST:PORT</c> (a name is resolved now, preferring IPv4); throws <see cref="FormatException"/> otherwise.</summary>
    public static IPEndPoint ParseGateway(string gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        if (IPEndPoint.TryParse(gateway, out var direct) && direct.Port != 0 && gateway.Contains(':', StringComparison.Ordinal))
        {
            return direct;
        }
        var colon = gateway.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(gateway.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"Gateway '{gateway}' is not HOST:PORT (for example 127.0.0.1:30000).");
        }
        var host = gateway[..colon].Trim('[', ']');
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new FormatException($"Gateway host '{host}' cannot be resolved: {e.Message}.", e);
        }
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new FormatException($"Gateway host '{host}' has no address.");
        return new IPEndPoint(address, port);
    }

    /// <summary>Retries the first connection every half second until the time is up.</summary>
    private sealed class TimeLimitedRetryFilter(TimeSpan limit) : IClientConnectionRetryFilter
    {
        private DateTimeOffset? _deadline;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            _deadline ??= DateTimeOffset.UtcNow + limit;
            if (DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(500) >= _deadline)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            return true;
        }
    }
}
