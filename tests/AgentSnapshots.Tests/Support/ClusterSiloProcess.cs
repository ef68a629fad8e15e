using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// A real silo process (<c>AgentSnapshots.Silo.dll</c> run by <c>dotnet</c>) in cluster mode: its own ports,
/// <c>ConnectionStrings__Postgres</c> and the shared data directory through the environment, as compose runs it.
/// </summary>
public sealed class ClusterSiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ClusterSiloProcess(Process process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts a silo and returns once its host has started (it is then Active in the membership table).</summary>
    public static async Task<ClusterSiloProcess> StartAsync(string postgres, string dataDir, string workspaceRoot, IDictionary<string, string>? settings = null)
    {
        var siloPort = SiloProcess.FreePort();
        var gatewayPort = SiloProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dataDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AgentSnapshots.Silo.dll"));
        psi.Environment["ConnectionStrings__Postgres"] = postgres;
        psi.Environment["Snapshots__DataDir"] = dataDir;
        psi.Environment["Snapshots__WorkspaceRoots__0"] = workspaceRoot;
        psi.Environment["Orleans__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Orleans__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Orleans__AdvertisedIP"] = "127.0.0.1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        Directory.CreateDirectory(dataDir);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var silo = new ClusterSiloProcess(process, siloPort, gatewayPort);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data);
        process.Exited += (_, _) => silo._started.TrySetException(new InvalidOperationException($"The silo exited ({process.ExitCode}) before it started:\n{silo.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await silo._started.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }

        return silo;
    }

    /// <summary>SIGKILL: no shutdown code runs, the kernel closes its sockets and drops its file locks.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the host's graceful shutdown.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    await TerminateAsync(TimeSpan.FromSeconds(20));
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
