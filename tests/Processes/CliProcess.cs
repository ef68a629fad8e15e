namespace AgentSnapshots.Tests.Processes;

/// <summary>The real CLI (<c>agentsnapshots.dll</c> as the Cli project built it), run by <c>dotnet</c> as a person or an agent runs it.</summary>
public static class CliProcess
{
    /// <summary>The file name the CLI's processes show in their command line.</summary>
    public const string DllName = "agentsnapshots.dll";

    /// <summary>
    /// The CLI as the Cli project built it, in the same configuration and framework as the caller: run from its own
    /// output, since the caller's output resolves Microsoft.Extensions.* from the silo's ASP.NET Core framework,
    /// which the CLI does not use. Looked up on each use (not in a type initializer), so a CLI that is not built is a
    /// <see cref="FileNotFoundException"/> saying where it was looked for.
    /// </summary>
    /// <exception cref="FileNotFoundException">The Cli project is not built in the caller's configuration.</exception>
    public static string Dll => BuildOutput.FileOf("src/Cli", DllName);

    /// <summary>
    /// Where the CLI looks for the local key file in the tests unless a test says otherwise (<c>XDG_CONFIG_HOME</c>):
    /// nowhere that exists, so no run reads the key of a silo the person running the tests has.
    /// </summary>
    public const string NoConfigHome = "/nonexistent/agentsnapshots-tests-config";

    /// <summary>
    /// Runs the CLI with exactly <paramref name="args"/> from <paramref name="workingDirectory"/>: <c>AGENTSNAPSHOTS_SESSION</c>,
    /// <c>AGENTSNAPSHOTS_KEY</c> and <c>AGENTSNAPSHOTS_URL</c> are not inherited, and the local key file is looked for
    /// under <see cref="NoConfigHome"/>.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="workingDirectory">The CLI's current directory.</param>
    /// <param name="environment">Further environment variables (null removes one).</param>
    /// <param name="stdin">Text for its standard input (null: it inherits ours).</param>
    public static Task<CliRun> RunAsync(IReadOnlyList<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null) =>
        ProcessRunner.RunAsync("dotnet", [Dll, .. args], workingDirectory, Hermetic(environment), stdin: stdin);

    /// <summary>
    /// Runs the CLI as <see cref="RunAsync"/> does, with the AppContext switches a build can set (its runtimeconfig's
    /// <c>configProperties</c>) set to <paramref name="switches"/>: what a build published with other switches does,
    /// without publishing it.
    /// </summary>
    public static async Task<CliRun> RunWithSwitchesAsync(IReadOnlyDictionary<string, bool> switches, IReadOnlyList<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var built = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(Dll, ".runtimeconfig.json")))!;
        var properties = built["runtimeOptions"]!["configProperties"] ??= new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, value) in switches)
        {
            properties[name] = value;
        }
        var config = Path.Combine(Path.GetTempPath(), $"agentsnapshots-cli-{Guid.NewGuid():N}.runtimeconfig.json");
        await File.WriteAllTextAsync(config, built.ToJsonString());
        try
        {
            return await ProcessRunner.RunAsync("dotnet", ["exec", "--runtimeconfig", config, Dll, .. args], workingDirectory, Hermetic(environment));
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>
    /// Runs the CLI with its output on a terminal (a pseudo-terminal from <c>script</c>), as a person sees it: both
    /// streams come back together in <see cref="CliRun.Stdout"/>, with the terminal's CRLF line ends turned into LF.
    /// </summary>
    public static async Task<CliRun> RunOnTerminalAsync(IReadOnlyList<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var command = string.Join(' ', new[] { "dotnet", Dll }.Concat(args).Select(ShellQuoted));
        var run = await ProcessRunner.RunAsync("script", ["-qefc", command, "/dev/null"], workingDirectory, Hermetic(environment));
        return run with { Stdout = run.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal) };
    }

    private static Dictionary<string, string?> Hermetic(IReadOnlyDictionary<string, string?>? environment)
    {
        var changes = new Dictionary<string, string?>
        {
            ["AGENTSNAPSHOTS_SESSION"] = null,
            ["AGENTSNAPSHOTS_KEY"] = null,
            ["AGENTSNAPSHOTS_URL"] = null,
            ["XDG_CONFIG_HOME"] = NoConfigHome,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            changes[key] = value;
        }
        return changes;
    }

    private static string ShellQuoted(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
