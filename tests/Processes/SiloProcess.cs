using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AgentSnapshots.Tests.Processes;

/// <summary>
/// The real silo (<c>AgentSnapshots.Silo.dll</c> from the caller's build output, run by <c>dotnet</c>) as its own
/// process on free loopback ports, as users run it: its memory and its crashes are its own. Settings go through the
/// environment, as an operator gives them.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<string>? _echoErrors;

    private SiloProcess(Process process, int gatewayPort, int httpPort, string workingDirectory, string localKey, Action<string>? echoErrors)
    {
        _process = process;
        LocalKey = localKey;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
        WorkingDirectory = workingDirectory;
        _echoErrors = echoErrors;
    }

    public int GatewayPort { get; }

    /// <summary>
    /// The silo's local key (<c>Auth:LocalKey</c>): a fresh random one per silo unless the settings give one, so
    /// clients in the tests authenticate as a user's would with the key the silo keeps in its key file.
    /// </summary>
    public string LocalKey { get; }

    /// <summary>The HTTP API's port on 127.0.0.1 (a settings entry <c>Http__Port</c> overrides it).</summary>
    public int HttpPort { get; }

    /// <summary>The HTTP API's base address.</summary>
    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>The silo's process id (crash tests kill it, the benchmark reads its memory).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The silo's current directory, and the one <see cref="RunCliAsync"/> runs the CLI from.</summary>
    public string WorkingDirectory { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the silo printed so far (its log, both streams).</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts the silo and returns once its host has started (its gateway then accepts clients).</summary>
    /// <param name="dataDir">Its <c>Snapshots:DataDir</c>.</param>
    /// <param name="workspaceRoot">Its only <c>Snapshots:WorkspaceRoots</c> entry.</param>
    /// <param name="workingDirectory">Its current directory.</param>
    /// <param name="settings">Further settings as environment variables (e.g. <c>ConnectionStrings__Postgres</c> for cluster mode).</param>
    /// <param name="echoErrors">Also receives each line the silo writes to stderr, as it comes (crash reports).</param>
    /// <param name="openFileLimit">When given, the silo runs under this open-file limit (<c>ulimit -n</c>, which may only be lowered).</param>
    public static async Task<SiloProcess> StartAsync(
        string dataDir, string workspaceRoot, string workingDirectory, IReadOnlyDictionary<string, string>? settings = null, Action<string>? echoErrors = null,
        int? openFileLimit = null)
    {
        var gatewayPort = LoopbackPort.Free();
        var siloPort = LoopbackPort.Free();
        var httpPort = settings?.TryGetValue("Http__Port", out var configured) == true ? int.Parse(configured, CultureInfo.InvariantCulture) : LoopbackPort.Free();
        var psi = new ProcessStartInfo(openFileLimit is null ? "dotnet" : "bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (openFileLimit is { } limit)
        {
            // exec: the silo replaces the shell, so ProcessId is the silo's.
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($"ulimit -n {limit.ToString(CultureInfo.InvariantCulture)} && exec dotnet \"$@\"");
            psi.ArgumentList.Add("bash");
        }
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AgentSnapshots.Silo.dll"));
        psi.Environment["Snapshots__DataDir"] = dataDir;
        psi.Environment["Snapshots__WorkspaceRoots__0"] = workspaceRoot;
        psi.Environment["Orleans__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Orleans__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture);
        // Its "Application started" line is how we know it is up, whatever log level the settings give.
        psi.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        psi.Environment["Http__Port"] = httpPort.ToString(CultureInfo.InvariantCulture);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var localKey = settings?.TryGetValue("Auth__LocalKey", out var givenKey) == true ? givenKey : NewLocalKey();
        psi.Environment["Auth__LocalKey"] = localKey;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, gatewayPort, httpPort, workingDirectory, localKey, echoErrors);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data, error: true);
        process.Exited += (_, _) =>
        {
            // Its last lines (the reason it stopped) may still be in the pipes: read them to the end first.
            process.WaitForExit();
            silo._started.TrySetException(new InvalidOperationException($"The silo exited ({process.ExitCode}) before it started:\n{silo.Output}"));
        };
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

    private static string NewLocalKey() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void OnLine(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        if (error)
        {
            _echoErrors?.Invoke(line);
        }
        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }

    /// <summary>The CLI's <c>--server</c> for this silo.</summary>
    public string CliServer => $"http://127.0.0.1:{HttpPort}";

    /// <summary>The CLI's environment for this silo: its local key in <c>AGENTSNAPSHOTS_KEY</c>, as a user or an agent gives it.</summary>
    public IReadOnlyDictionary<string, string?> CliEnvironment => new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = LocalKey };

    /// <summary>Runs the CLI against this silo's HTTP API, with its key, from <see cref="WorkingDirectory"/>.</summary>
    public Task<CliRun> RunCliAsync(params string[] args) =>
        CliProcess.RunAsync(["--server", CliServer, .. args], WorkingDirectory, CliEnvironment);

    /// <summary>
    /// Kills the CLI processes started against this silo's HTTP API (found by their command line in /proc), so a test
    /// that killed the silo mid-call never waits on one of them, whatever state it is in.
    /// </summary>
    public void KillCliProcesses()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (cmdline.Any(a => a.EndsWith(CliProcess.DllName, StringComparison.Ordinal)) && cmdline.Contains(CliServer))
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // Gone already, or not ours to read: nothing to end.
            }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, the kernel closes its sockets and drops its file locks.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>A graceful stop first (SIGTERM: the host shuts the silo down), then the hard way.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
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
            // Never started, or already reaped: nothing to stop.
        }
        _process.Dispose();
    }
}
