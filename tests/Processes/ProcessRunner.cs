using System.Diagnostics;

namespace AgentSnapshots.Tests.Processes;

/// <summary>Runs a program to its end and returns what it printed (both streams read as they come, so neither blocks it).</summary>
public static class ProcessRunner
{
    /// <param name="program">The program (looked up on the PATH).</param>
    /// <param name="args">Its arguments, passed as they are (no shell).</param>
    /// <param name="workingDirectory">Its current directory.</param>
    /// <param name="environment">Changes to the inherited environment (null removes a variable).</param>
    /// <param name="timeout">How long it may take (default 2 minutes); then the wait is cancelled.</param>
    /// <param name="stdin">Text written to its standard input, which is then closed (null: it inherits ours).</param>
    public static async Task<CliRun> RunAsync(
        string program, IReadOnlyList<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null,
        string? stdin = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cancel.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
