using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Agents;

/// <summary>
/// The real OpenCode (npm opencode-ai, tests/agents) run non-interactively (<c>opencode run</c>) against the scripted
/// model server as an OpenAI-compatible provider, with the plugin of clients/opencode-plugin (as built there) loaded
/// from opencode.json, against a real silo.
/// </summary>
public sealed class OpenCodeTests(SiloProcessFixture fixture) : IClassFixture<SiloProcessFixture>
{
    private const string Prompt = "Write the notes, then build.\nUse the usual layout.";

    private static string Plugin
    {
        get
        {
            var path = Path.Combine(BuildOutput.RepositoryRoot, "clients", "opencode-plugin", "dist", "index.js");
            return File.Exists(path)
                ? new Uri(path).AbsoluteUri
                : throw new FileNotFoundException($"The OpenCode plugin is not built at {path}: run 'npm ci && npm run build' in clients/typescript, then in clients/opencode-plugin (.ci/run does).");
        }
    }

    private static IReadOnlyList<(string Tool, object Input)> Script(AgentWorkspace ws) =>
    [
        ("write", new { filePath = ws.PathOf("notes.txt"), content = "first note\n" }),
        ("edit", new { filePath = ws.PathOf("notes.txt"), oldString = "first", newString = "second" }),
        ("bash", new { command = "printf 'app v3\\n' > src/app.txt && printf 'built\\n' > build.log", description = "Build" }),
    ];

    private static async Task<(CliRun Run, ScriptedModelServer Server)> RunOpenCodeAsync(AgentWorkspace ws, string siloUrl, string key)
    {
        var server = await ScriptedModelServer.StartAsync(ws.Directory, Script(ws), ws.Scratch);
        await File.WriteAllTextAsync(ws.PathOf("opencode.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["provider"] = new
            {
                scripted = new
                {
                    npm = "@ai-sdk/openai-compatible",
                    name = "Scripted",
                    options = new { baseURL = $"http://127.0.0.1:{server.Port}/v1", apiKey = "sk-scripted" },
                    models = new Dictionary<string, object> { ["scripted-model"] = new { name = "Scripted", tool_call = true } },
                },
            },
            ["model"] = "scripted/scripted-model",
            ["permission"] = new { edit = "allow", bash = "allow" },
            ["plugin"] = new[] { Plugin },
        }));
        var run = await ProcessRunner.RunAsync(
            AgentPackages.Command("opencode"),
            // The prompt on stdin, as it is typed: 'opencode run' quotes an argument that holds spaces before it becomes the prompt.
            ["run", "--format", "json"],
            ws.Directory,
            AgentPackages.Environment(ws.Directory, ws.Home, ws.Bin, new Dictionary<string, string?>
            {
                ["OPENCODE_DISABLE_AUTOUPDATE"] = "1",
                ["OPENCODE_DISABLE_MODELS_FETCH"] = "1",
                ["AGENTSNAPSHOTS_URL"] = siloUrl,
                ["AGENTSNAPSHOTS_KEY"] = key,
            }),
            TimeSpan.FromMinutes(4),
            Prompt);
        return (run, server);
    }

    /// <summary>The end of OpenCode's own log of the run (its HOME is the workspace's throwaway one), for failure messages.</summary>
    private static string LogOf(AgentWorkspace ws)
    {
        var logs = Path.Combine(ws.Home, ".local", "share", "opencode", "log");
        return Directory.Exists(logs)
            ? string.Join('\n', Directory.EnumerateFiles(logs).SelectMany(File.ReadAllLines).TakeLast(60))
            : "(no opencode log)";
    }

    /// <summary>The OpenCode session of the run, from its JSON events.</summary>
    private static string SessionOf(CliRun run) =>
        run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .First(e => e.TryGetProperty("sessionID", out _)).GetProperty("sessionID").GetString()!;

    [Fact]
    public async Task A_turn_is_recorded_tool_call_by_tool_call_as_git_sees_it_and_restoring_its_first_snapshot_undoes_it()
    {
        using var ws = new AgentWorkspace(fixture.Root, "opencode-turn");
        var (run, server) = await RunOpenCodeAsync(ws, fixture.Silo.CliServer, fixture.Silo.LocalKey);
        await using var _ = server;
        var context = $"{run}\nmodel requests:\n{server.Requests}\nopencode log:\n{LogOf(ws)}";
        Assert.True(run.ExitCode == 0, context);
        Assert.Equal("second note\n", File.ReadAllText(ws.PathOf("notes.txt")));

        await ws.CheckTurnAsync(fixture.Silo, "opencode-" + SessionOf(run),
            ["Write the notes, then build.", "write notes.txt", "edit notes.txt", "bash printf 'app v3\\n' > src/app.txt && printf 'built\\n' > build.log", "turn end"],
            server.TreesByResults(), context);
    }

    [Fact]
    public async Task With_no_silo_the_plugin_never_gets_in_the_way()
    {
        using var ws = new AgentWorkspace(fixture.Root, "opencode-no-silo");
        var (run, server) = await RunOpenCodeAsync(ws, $"http://127.0.0.1:{LoopbackPort.Free()}", fixture.Silo.LocalKey);
        await using var _ = server;
        Assert.True(run.ExitCode == 0, $"{run}\nmodel requests:\n{server.Requests}\nopencode log:\n{LogOf(ws)}");
        ws.AssertScriptedTurnWritten();
        Assert.Equal(4, server.TreesByResults().Count);
        Assert.Contains("agentsnapshots: no snapshot", run.Stderr, StringComparison.Ordinal);
    }
}
