using System.Text.Json;
using AgentSnapshots.Tests.Agents;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Cli;

/// <summary>
/// <c>agentsnapshots hook claude-code</c> (the real CLI) fed Claude Code's hook events on stdin, against a real silo:
/// which events snapshot and with which labels, and that nothing (no silo, a refused key, a bad event, a mistyped
/// command) ever makes it block the agent: exit 0 and at most one line on stderr.
/// </summary>
public sealed class HookCommandTests(SiloProcessFixture fixture) : IClassFixture<SiloProcessFixture>
{
    private static string Event(string session, string directory, string name, object? fields = null)
    {
        var json = new Dictionary<string, object?> { ["session_id"] = session, ["cwd"] = directory, ["hook_event_name"] = name, ["transcript_path"] = "/nonexistent/t.jsonl" };
        foreach (var property in fields?.GetType().GetProperties() ?? [])
        {
            json[property.Name] = property.GetValue(fields);
        }
        return JsonSerializer.Serialize(json);
    }

    private Task<CliRun> Hook(string stdin, string? server = null, string? key = null, params string[] extra) =>
        CliProcess.RunAsync(["--server", server ?? fixture.Silo.CliServer, "hook", "claude-code", .. extra], fixture.Root,
            new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = key ?? fixture.Silo.LocalKey }, stdin);

    /// <summary>The one line a hook that could not snapshot prints; it exited 0 and printed nothing on stdout.</summary>
    private static string OneLine(CliRun run)
    {
        Assert.True(run.ExitCode == 0 && run.Stdout.Length == 0, run.ToString());
        return Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Prompts_file_changing_tool_calls_and_turn_ends_are_snapshotted_with_their_labels_and_other_events_are_not()
    {
        var ws = fixture.NewWorkspace("hook-labels");
        File.WriteAllText(Path.Combine(ws, "notes.txt"), "one\n");
        var longCommand = "echo " + new string('x', 150);
        (string Name, object? Fields)[] events =
        [
            ("SessionStart", new { source = "startup" }),
            ("UserPromptSubmit", new { prompt = "\n  Fix the parser  \nthen run the tests" }),
            ("PreToolUse", new { tool_name = "Edit", tool_input = new { file_path = Path.Combine(ws, "notes.txt") } }),
            ("PostToolUse", new { tool_name = "Edit", tool_input = new { file_path = Path.Combine(ws, "notes.txt") }, tool_response = new { } }),
            ("PostToolUse", new { tool_name = "Bash", tool_input = new { command = longCommand + "\nsecond line" } }),
            ("PostToolUse", new { tool_name = "Write", tool_input = new { file_path = "/elsewhere/out.txt" } }),
            ("Stop", new { stop_hook_active = false }),
        ];
        foreach (var (name, fields) in events)
        {
            var run = await Hook(Event("labels", ws, name, fields));
            Assert.True(run.ExitCode == 0 && run.Stdout.Length == 0 && run.Stderr.Length == 0, $"{name}: {run}");
        }

        var snapshots = await AgentWorkspace.HistoryAsync(fixture.Silo, "claude-labels");
        var bash = "Bash " + longCommand[..(ClaudeCodeLabelLength - "Bash ".Length - 1)] + "…";
        Assert.Equal(["Fix the parser", "Edit notes.txt", bash, "Write /elsewhere/out.txt", "turn end"], snapshots.Select(s => s.GetProperty("label").GetString()));
        Assert.All(snapshots, s => Assert.Equal(Git.WriteTreeOf(ws), s.GetProperty("hash").GetString()));
    }

    /// <summary>The longest label the hook writes (ClaudeCodeEvent.MaxLabelLength).</summary>
    private const int ClaudeCodeLabelLength = 100;

    [Fact]
    public async Task With_no_silo_the_hook_prints_one_line_naming_the_address_and_exits_0()
    {
        var ws = fixture.NewWorkspace("hook-no-silo");
        var address = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var line = OneLine(await Hook(Event("no-silo", ws, "Stop"), server: address));
        Assert.StartsWith("agentsnapshots hook: no snapshot: no silo answers at", line, StringComparison.Ordinal);
        Assert.Contains(address.Replace("http://", "", StringComparison.Ordinal), line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_key_a_bad_event_or_a_mistyped_command_is_one_line_exit_0_and_nothing_recorded()
    {
        var ws = fixture.NewWorkspace("hook-refused");
        var wrongKey = TenantSiloFixture.NewKey();
        var refused = OneLine(await Hook(Event("refused", ws, "Stop"), key: wrongKey));
        Assert.Contains("refused the key", refused, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, refused, StringComparison.Ordinal);

        Assert.Contains("not a hook event", OneLine(await Hook("PostToolUse Edit")), StringComparison.Ordinal);
        Assert.Contains("no session_id", OneLine(await Hook(JsonSerializer.Serialize(new { cwd = ws, hook_event_name = "Stop" }))), StringComparison.Ordinal);
        Assert.Contains("not accepted", OneLine(await Hook(Event("a/b", ws, "Stop"))), StringComparison.Ordinal);
        Assert.Contains("--bogus", OneLine(await Hook(Event("refused", ws, "Stop"), extra: "--bogus")), StringComparison.Ordinal);

        var history = await fixture.Silo.RunCliAsync("history", "--session", "claude-refused", "--json");
        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Empty(JsonDocument.Parse(history.Stdout).RootElement.GetProperty("snapshots").EnumerateArray());
    }
}
