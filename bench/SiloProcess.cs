using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentSnapshots.Bench;

/// <summary>The real silo, started as its own process (as users run it) on free loopback ports, so its memory is its own.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;

    private SiloProcess(Process process, int gatewayPort)
    {
        _process = process;
        GatewayPort = gatewayPort;
    }

    public int Pid => _process.Id;

    public int GatewayPort { get; }

    public static async Task<SiloProcess> StartAsync(string siloDll, string dataDir, string workspaceRoot, long maxFileBytes, IReadOnlyDictionary<string, string> settings)
    {
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(siloDll)!,
        };
        psi.ArgumentList.Add(siloDll);
        psi.Environment["Snapshots__DataDir"] = dataDir;
        psi.Environment["Snapshots__WorkspaceRoots__0"] = workspaceRoot;
        psi.Environment["Snapshots__MaxFileBytes"] = maxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Orleans__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Orleans__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in settings) psi.Environment[key] = value;
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("silo: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"The silo exited at start with code {process.ExitCode}.");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, gatewayPort);
                return new SiloProcess(process, gatewayPort);
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The silo did not open its gateway within 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
