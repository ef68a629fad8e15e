using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentSnapshots.Tests.Processes;

/// <summary>
/// A real workspace agent: the CLI's <c>agent</c> verb in a process of its own, serving a directory the silo cannot
/// read. Its log lines are kept; <see cref="SentBytes"/> reads the totals it logs after each transfer.
/// </summary>
public sealed partial class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AgentProcess(Process process) => _process = process;

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>Loose-object bytes this agent has sent since it started (0 before its first transfer).</summary>
    public long SentBytes => SentTotals().Bytes;

    /// <summary>Objects this agent has sent since it started.</summary>
    public long SentObjects => SentTotals().Objects;

    /// <summary>How long the agent's last snapshot took by its own log (its walk and hashing, before any transfer): "1234 ms", or "" before one.</summary>
    public string LastSnapshotTime => SnapshotPattern().Matches(Log) is { Count: > 0 } found ? found[^1].Groups[1].Value + " ms" : "";

    /// <summary>Starts an agent of <paramref name="silo"/> and waits until the silo has attached its connection to the workspace.</summary>
    public static async Task<AgentProcess> StartAsync(SiloProcess silo, string workspace, string directory, string cacheDirectory, string? executable = null)
    {
        var before = Attached(silo, workspace);
        var agent = await StartAsync(silo.CliServer, silo.LocalKey, workspace, directory, cacheDirectory, waitConnected: true, executable);
        await WaitAttachedAsync(silo, workspace, before);
        return agent;
    }

    /// <summary>How many agent connections of <paramref name="workspace"/> the silo has attached so far.</summary>
    public static int Attached(SiloProcess silo, string workspace)
    {
        var line = $"Workspace agent {workspace} of ";
        var output = silo.Output;
        var count = 0;
        for (var at = output.IndexOf(line, StringComparison.Ordinal); at >= 0; at = output.IndexOf(line, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>Waits until the silo has attached more than <paramref name="before"/> connections of <paramref name="workspace"/>.</summary>
    public static async Task WaitAttachedAsync(SiloProcess silo, string workspace, int before)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Attached(silo, workspace) <= before)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The silo did not attach an agent of {workspace}");
            await Task.Delay(50);
        }
    }

    /// <param name="executable">A published agent executable; null: the built CLI through <c>dotnet</c>.</param>
    public static async Task<AgentProcess> StartAsync(string servers, string key, string workspace, string directory, string cacheDirectory, bool waitConnected = true,
        string? executable = null)
    {
        var psi = new ProcessStartInfo(executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        if (executable is null) psi.ArgumentList.Add(CliProcess.Dll);
        foreach (var arg in new[] { "agent", "--workspace", workspace, "--dir", directory, "--cache-dir", cacheDirectory, "--server", servers })
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["AGENTSNAPSHOTS_KEY"] = key;
        psi.Environment.Remove("AGENTSNAPSHOTS_URL");
        psi.Environment["XDG_CONFIG_HOME"] = CliProcess.NoConfigHome;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var agent = new AgentProcess(new Process { StartInfo = psi, EnableRaisingEvents = true });
        agent._process.OutputDataReceived += (_, e) => agent.OnLine(e.Data);
        agent._process.ErrorDataReceived += (_, e) => agent.OnLine(e.Data);
        agent._process.Exited += (_, _) => agent._connected.TrySetException(new InvalidOperationException($"The agent exited before it connected:\n{agent.Log}"));
        agent._process.Start();
        agent._process.BeginOutputReadLine();
        agent._process.BeginErrorReadLine();
        if (waitConnected)
        {
            await agent._connected.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        return agent;
    }

    /// <summary>Waits until the agent logs a new connection after <paramref name="connections"/> of them.</summary>
    public async Task WaitForConnectionAsync(int connections, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Regex.Count(Log, "Connected:") < connections)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The agent did not connect {connections} times:\n{Log}");
            await Task.Delay(100);
        }
        await Task.Delay(300);
    }

    public void KillHard() => _process.Kill(entireProcessTree: false);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.Contains("Connected:", StringComparison.Ordinal)) _connected.TrySetResult();
    }

    private (long Objects, long Bytes) SentTotals()
    {
        var matches = SentPattern().Matches(Log);
        if (matches.Count == 0) return (0, 0);
        var last = matches[^1];
        return (long.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(last.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"; (\d+) objects, (\d+) bytes since start")]
    private static partial Regex SentPattern();

    [GeneratedRegex(@"skipped in (\d+) ms")]
    private static partial Regex SnapshotPattern();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        _process.Dispose();
    }
}
