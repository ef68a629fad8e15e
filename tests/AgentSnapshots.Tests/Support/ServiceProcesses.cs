using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentSnapshots.Tests.Support;

/// <summary>What one CLI run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// The real silo (<c>AgentSnapshots.Silo.dll</c> from this test's output, run by <c>dotnet</c>) on free ports,
/// with its data directory and workspace root given through the environment, and the real CLI against it.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process, int gatewayPort, string workingDirectory)
    {
        _process = process;
        GatewayPort = gatewayPort;
        WorkingDirectory = workingDirectory;
    }

    public int GatewayPort { get; }

    /// <summary>The silo's process id (crash tests kill it with SIGKILL).</summary>
    public int ProcessId => _process.Id;

    public string WorkingDirectory { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: no shutdown code runs, the kernel closes its sockets and drops its file locks.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Kills the CLI processes started against this silo's gateway (found by their command line in /proc): after a SIGKILL of the silo they wait for an answer that never comes.</summary>
    public void KillCliProcesses()
    {
        var marker = "127.0.0.1:" + GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("AgentSnapshots.Client.dll", StringComparison.Ordinal) && cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
            }
        }
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the silo and returns once it has started (its gateway then accepts clients).</summary>
    /// <param name="settings">Further settings as environment variables (e.g. <c>ConnectionStrings__Postgres</c> for cluster mode).</param>
    public static async Task<SiloProcess> StartAsync(string dataDir, string workspaceRoot, string workingDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        var gatewayPort = FreePort();
        var siloPort = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AgentSnapshots.Silo.dll"));
        psi.Environment["Snapshots__DataDir"] = dataDir;
        psi.Environment["Snapshots__WorkspaceRoots__0"] = workspaceRoot;
        psi.Environment["Orleans__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Orleans__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, gatewayPort, workingDirectory);
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

    /// <summary>Runs the CLI against this silo's gateway from <see cref="WorkingDirectory"/>.</summary>
    public Task<CliRun> RunCliAsync(params string[] args) =>
        RunCliAsync(["--gateway", $"127.0.0.1:{GatewayPort}", .. args], WorkingDirectory);

    /// <summary>AgentSnapshots.Client.dll as the Client project built it (same configuration and framework as this test).</summary>
    public static string ClientDll { get; } = FindClientDll();

    private static string FindClientDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                var dll = Path.Combine(dir.FullName, "src", "Client", "bin", configuration, framework, "AgentSnapshots.Client.dll");
                if (File.Exists(dll)) return dll;
                throw new FileNotFoundException($"The CLI is not built at {dll}; build the solution first.");
            }
        }
        throw new DirectoryNotFoundException($"No Orleans.sln above {output.FullName}.");
    }

    /// <summary>
    /// Runs the CLI with exactly <paramref name="args"/>, from the Client project's own build output: the test's
    /// output resolves Microsoft.Extensions.* from the silo's ASP.NET Core framework, which the CLI does not use.
    /// </summary>
    public static async Task<CliRun> RunCliAsync(IReadOnlyList<string> args, string workingDirectory)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ClientDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment.Remove("AGENTSNAPSHOTS_SESSION");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // A graceful stop first (SIGTERM: the host shuts the silo down), then the hard way.
                using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }
                try
                {
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
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
