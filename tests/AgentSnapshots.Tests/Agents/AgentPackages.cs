namespace AgentSnapshots.Tests.Agents;

/// <summary>
/// The real agents as npm installs them from tests/agents/package-lock.json (<c>npm ci</c> there; .ci/run does it),
/// and the files beside them.
/// </summary>
internal static class AgentPackages
{
    public static string Directory => Path.Combine(BuildOutput.RepositoryRoot, "tests", "agents");

    /// <summary>An installed agent's command (node_modules/.bin/NAME); a clear failure when npm ci was not run.</summary>
    public static string Command(string name)
    {
        var path = Path.Combine(Directory, "node_modules", ".bin", name);
        return System.IO.File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{name} is not installed at {path}: run 'npm ci' in {Directory} (.ci/run does).");
    }

    /// <summary>A file of tests/agents.</summary>
    public static string File(string name) => Path.Combine(Directory, name);

    /// <summary>
    /// The environment of an agent run: the inherited one without any agent's or model provider's settings (the
    /// machine's own must not leak in), a throwaway HOME, <paramref name="bin"/> first on the PATH, and PWD the
    /// directory it runs in (OpenCode takes its project directory from PWD, which the test runner's would be).
    /// </summary>
    public static Dictionary<string, string?> Environment(string workingDirectory, string home, string bin, IReadOnlyDictionary<string, string?> settings)
    {
        var environment = new Dictionary<string, string?>();
        foreach (var name in System.Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("ANTHROPIC_", StringComparison.Ordinal) || name.StartsWith("CLAUDE", StringComparison.Ordinal)
                || name.StartsWith("OPENCODE", StringComparison.Ordinal) || name.StartsWith("OPENAI_", StringComparison.Ordinal)
                || name.StartsWith("AGENTSNAPSHOTS_", StringComparison.Ordinal) || name.StartsWith("XDG_", StringComparison.Ordinal))
            {
                environment[name] = null;
            }
        }
        environment["HOME"] = home;
        environment["PWD"] = workingDirectory;
        environment["PATH"] = bin + ":" + System.Environment.GetEnvironmentVariable("PATH");
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }
        return environment;
    }
}
