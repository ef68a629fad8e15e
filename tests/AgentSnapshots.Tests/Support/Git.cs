using System.Diagnostics;

namespace AgentSnapshots.Tests.Support;

/// <summary>Runs the real git binary: the reference our object store and diff stats are checked against.</summary>
public static class Git
{
    public static string Run(string workingDirectory, params string[] args) => RunWithInput(workingDirectory, null, args);

    /// <summary>git's tree of <paramref name="directory"/>: <c>git add -A &amp;&amp; git write-tree</c> into a fresh repository.</summary>
    public static string WriteTreeOf(string directory)
    {
        var gitDir = Directory.CreateTempSubdirectory("as-git-").FullName;
        try
        {
            Run(gitDir, "init", "-q", "--bare", gitDir);
            Run(gitDir, "--git-dir", gitDir, "--work-tree", directory, "add", "-A");
            return Run(gitDir, "--git-dir", gitDir, "write-tree").Trim();
        }
        finally
        {
            Directory.Delete(gitDir, recursive: true);
        }
    }

    public static string RunWithInput(string workingDirectory, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["HOME"] = workingDirectory;
        psi.Environment["GIT_AUTHOR_NAME"] = psi.Environment["GIT_COMMITTER_NAME"] = "test";
        psi.Environment["GIT_AUTHOR_EMAIL"] = psi.Environment["GIT_COMMITTER_EMAIL"] = "test@example.invalid";
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stderrTask = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var stderr = stderrTask.Result;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        }
        return stdout;
    }
}
