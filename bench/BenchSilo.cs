using System.Globalization;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Processes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Bench;

/// <summary>The silo process as the benchmark runs it (quiet log, workstation GC, its file-size limit), and the SDK's host that reaches it.</summary>
internal static class BenchSilo
{
    /// <param name="objectStore">Where it keeps objects (e.g. <see cref="BenchObjectStore.ClusterAsync"/>'s settings); by default as <see cref="BenchObjectStore.Variable"/> says.</param>
    public static async Task<SiloProcess> StartAsync(
        string dataDir, string workspaceRoot, long maxFileBytes, IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string>? objectStore = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Snapshots__MaxFileBytes"] = maxFileBytes.ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_gcServer"] = "0",
            // No HTTP listener unless a scenario asks for one (Http__Port in its settings).
            ["Http__Port"] = "0",
        };
        foreach (var (key, value) in objectStore ?? await BenchObjectStore.SettingsAsync())
        {
            environment[key] = value;
        }
        // The scenario's own settings win.
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }
        return await SiloProcess.StartAsync(dataDir, workspaceRoot, AppContext.BaseDirectory, environment, line => Console.Error.WriteLine("silo: " + line));
    }

    /// <summary>A silo serving its HTTP API on a free port, with data under <paramref name="root"/>/data and its workspace root <paramref name="root"/>/work (returned).</summary>
    public static async Task<(SiloProcess Silo, string WorkRoot)> StartWithHttpAsync(string root)
    {
        var workRoot = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
        var silo = await StartAsync(Path.Combine(root, "data"), workRoot, maxFileBytes: 1L << 30,
            new Dictionary<string, string> { ["Http__Port"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture) });
        return (silo, workRoot);
    }

    public static IHost ClientHost(int gatewayPort) => ClientHost(o => o.Gateways.Add($"127.0.0.1:{gatewayPort}"));

    /// <summary>
    /// The SDK's host for a cluster whose membership is in PostgreSQL, with the client certificate of the cluster's
    /// mutual TLS; it re-reads the live gateways every second.
    /// </summary>
    public static IHost ClusterClientHost(string postgres, ClusterCertificates tls) => ClientHost(o =>
    {
        o.PostgresConnectionString = postgres;
        o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1);
        o.TlsCertificateFile = tls.ClientCertificateFile;
        o.TlsKeyFile = tls.ClientKeyFile;
        o.TlsCaFile = tls.CaFile;
    });

    private static IHost ClientHost(Action<AgentSnapshotsClientOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAgentSnapshotsClient(configure);
        return builder.Build();
    }
}
