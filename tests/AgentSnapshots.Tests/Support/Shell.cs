using System.Diagnostics;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// Runs a bash script: for file names .NET cannot spell (bytes that are not valid UTF-8) and paths longer
/// than PATH_MAX (built one relative <c>cd</c> at a time), which only the shell's byte-level tools create.
/// </summary>
public static class Shell
{
    public static string Run(string workingDirectory, string script)
    {
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"bash -c '{script}' failed ({p.ExitCode}): {stderr.Result}");
        }
        return stdout;
    }

    /// <summary>Whether a path given as a shell word (it may hold printf escapes) exists, without following a symlink at the end.</summary>
    public static bool Exists(string workingDirectory, string printfPath) =>
        Run(workingDirectory, $"if [ -e \"$(printf '{printfPath}')\" ] || [ -L \"$(printf '{printfPath}')\" ]; then echo yes; else echo no; fi").Trim() == "yes";
}
