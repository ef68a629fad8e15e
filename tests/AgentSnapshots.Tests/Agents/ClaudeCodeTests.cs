using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Agents;

/// <summary>
/// The real Claude Code (npm @anthropic-ai/claude-code, tests/agents) run non-interactively (<c>claude -p</c>) against
/// the scripted model server, with the hooks of integrations/claude-code/settings.json in the workspace's
/// .claude/settings.json calling the real CLI (<c>agentsnapshots hook claude-code</c>) against a real silo.
/// </summary>
public sealed class ClaudeCodeTests(SiloProcessFixture fixture) : IClassFixture<SiloProcessFixture>
{
    private const string Prompt = "Write the notes, then build.\nUse the usual layout.";

    private static IReadOnlyList<(string Tool, object Input)> Script(AgentWorkspace ws) =>
    [
        ("Write", new { file_path = ws.PathOf("notes.txt"), content = "first note\n" }),
        ("Edit", new { file_path = ws.PathOf("notes.txt"), old_string = "first", new_string = "second" }),
        ("Bash", new { command = "printf 'app v3\\n' > src/app.txt && printf 'built\\n' > build.log", description = "Build" }),
    ];

    private static async Task<(CliRun Run, ScriptedModelServer Server)> RunClaudeAsync(AgentWorkspace ws, string siloUrl, string key)
    {
        Directory.CreateDirectory(ws.PathOf(".claude"));
        File.Copy(Path.Combine(BuildOutput.RepositoryRoot, "integrations", "claude-code", "settings.json"), ws.PathOf(".claude/settings.json"));
        var server = await ScriptedModelServer.StartAsync(ws.Directory, Script(ws), ws.Scratch);
        var run = await ProcessRunner.RunAsync(
            AgentPackages.Command("claude"),
            ["-p", Prompt, "--output-format", "json", "--allowedTools", "Write,Edit,Bash"],
            ws.Directory,
            AgentPackages.Environment(ws.Directory, ws.Home, ws.Bin, new Dictionary<string, string?>
            {
                ["ANTHROPIC_BASE_URL"] = $"http://127.0.0.1:{server.Port}",
                ["ANTHROPIC_API_KEY"] = "sk-scripted",
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["AGENTSNAPSHOTS_URL"] = siloUrl,
                ["AGENTSNAPSHOTS_KEY"] = key,
            }),
            TimeSpan.FromMinutes(3));
        return (run, server);
    }

    [Fact]
    public async Task A_turn_is_recorded_tool_call_by_tool_call_as_git_sees_it_and_restoring_its_first_snapshot_undoes_it()
    {
        using var ws = new AgentWorkspace(fixture.Root, "claude-turn");
        var (run, server) = await RunClaudeAsync(ws, fixture.Silo.CliServer, fixture.Silo.LocalKey);
        await using var _ = server;
        var context = $"{run}\nmodel requests:\n{server.Requests}";
        Assert.True(run.ExitCode == 0, context);
        var result = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal("All done.", result.GetProperty("result").GetString());
        Assert.Equal("second note\n", File.ReadAllText(ws.PathOf("notes.txt")));

        var session = "claude-" + result.GetProperty("session_id").GetString();
        await ws.CheckTurnAsync(fixture.Silo, session,
            ["Write the notes, then build.", "Write notes.txt", "Edit notes.txt", "Bash printf 'app v3\\n' > src/app.txt && printf 'built\\n' > build.log", "turn end"],
            server.TreesByResults(), context);
    }

    [Fact]
    public async Task With_no_silo_the_hooks_never_get_in_the_way()
    {
        using var ws = new AgentWorkspace(fixture.Root, "claude-no-silo");
        var (run, server) = await RunClaudeAsync(ws, $"http://127.0.0.1:{LoopbackPort.Free()}", fixture.Silo.LocalKey);
        await using var _ = server;
        Assert.True(run.ExitCode == 0, $"{run}\nmodel requests:\n{server.Requests}");
        Assert.Equal("All done.", JsonDocument.Parse(run.Stdout).RootElement.GetProperty("result").GetString());
        ws.AssertScriptedTurnWritten();
        Assert.Equal(4, server.TreesByResults().Count);
    }
}
