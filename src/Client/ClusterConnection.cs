using AgentSnapshots.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AgentSnapshots.Client;

/// <summary>
/// The SDK's own Orleans client, in a host of its own. Orleans allows one client per service container, and an
/// application may have its own in its container for its own cluster: this one lives apart, so neither replaces nor
/// sees the other. It connects when the application's host starts (a start fails if the cluster cannot be reached)
/// or on the first call, whichever comes first, and stops with the application's host or container. It logs through
/// the application's logger factory, so the application's logging settings apply to it.
/// </summary>
internal sealed class ClusterConnection(IOptions<AgentSnapshotsClientOptions> options, IServiceProvider services) : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IHost? _host;
    private ClusterTlsMaterial? _tls;
    private IClusterClient? _client;
    private bool _stopped;
    private int _disposed;

    /// <summary>Cancelled each time the client loses a gateway (see <see cref="GatewayLossSignal"/>).</summary>
    public GatewayLossSignal GatewayLoss { get; } = new();

    /// <summary>The connected client; connects first if nothing has yet (a failed attempt is retried by the next call).</summary>
    public async ValueTask<IClusterClient> GetClientAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } connected)
        {
            return connected;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_client is null)
            {
                var (host, tls) = Build(options.Value, services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance, GatewayLoss);
                try
                {
                    await host.StartAsync(cancellationToken);
                }
                catch
                {
                    host.Dispose();
                    tls?.Dispose();
                    throw;
                }
                _host = host;
                _tls = tls;
                Volatile.Write(ref _client, host.Services.GetRequiredService<IClusterClient>());
            }
            return _client!;
        }
        finally
        {
            _gate.Release();
        }
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => GetClientAsync(cancellationToken).AsTask();

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Registered both as itself and as a hosted service, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await StopAsync(timeout.Token);
        _gate.Dispose();
        GatewayLoss.Dispose();
    }

    /// <summary>For containers disposed synchronously: the same stop, waited for.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            _stopped = true;
            Volatile.Write(ref _client, null);
            if (_host is { } host)
            {
                _host = null;
                try
                {
                    await host.StopAsync(cancellationToken);
                }
                finally
                {
                    host.Dispose();
                    _tls?.Dispose();
                    _tls = null;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The client's host, and the TLS material its connections use (the caller disposes it after the host).</summary>
    private static (IHost Host, ClusterTlsMaterial? Tls) Build(AgentSnapshotsClientOptions options, ILoggerFactory loggerFactory, GatewayLossSignal gatewayLoss)
    {
        // Resolved now, once: a name that does not resolve fails this connection attempt, not the registration.
        var endpoints = options.UsesPostgres ? [] : options.EffectiveGateways.Select(GatewayEndpoint.Resolve).ToArray();
        var failures = new List<string>();
        var tls = options.UsesTls
            ? ClientTls.TryLoad(options, failures) ?? throw new OptionsValidationException(Options.DefaultName, typeof(AgentSnapshotsClientOptions), failures)
            : null;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Not a console application of its own: signals and Ctrl+C belong to the application's host.
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        builder.UseOrleansClient(client =>
        {
            if (options.UsesPostgres)
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = options.PostgresConnectionString;
                });
            }
            else
            {
                client.UseStaticClustering(endpoints);
            }
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = options.GatewayListRefreshPeriod);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
            if (tls is not null)
            {
                client.UseClusterTls(tls);
            }
            client.UseConnectionRetryFilter(new TimeLimitedRetryFilter(options.ConnectRetryTime));
            client.AddGatewayCountChangedHandler(gatewayLoss.OnGatewayCountChanged);
        });
        return (builder.Build(), tls);
    }
}
