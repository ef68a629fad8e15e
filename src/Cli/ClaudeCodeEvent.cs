using System.Text.Json;

namespace AgentSnapshots.Cli;

/// <summary>
/// A Claude Code hook event (the JSON it writes to a hook's stdin) as the hook snapshots it: the session
/// <c>claude-&lt;session_id&gt;</c> in directory <c>cwd</c>, with a label by event: <c>UserPromptSubmit</c> the
/// prompt's first line, <c>PostToolUse</c> the tool and the file it touched (or the command it ran), <c>Stop</c>
/// "turn end". Other events are not snapshotted (<see cref="Label"/> null).
/// </summary>
internal sealed record ClaudeCodeEvent(string Session, string Directory, string EventName, string? Label)
{
    public const string SessionPrefix = "claude-";

    /// <summary>The longest label written (a prompt's first line or a command is cut there, with "…").</summary>
    public const int MaxLabelLength = 100;

    /// <exception cref="FormatException">The input is not such an event; the message says what is missing.</exception>
    public static ClaudeCodeEvent Read(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"stdin is not a hook event (not JSON: {SiloApi.FirstLine(e.Message)}); configure the hook in .claude/settings.json, where Claude Code writes the event to it");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("stdin is not a hook event (not a JSON object)");
            }
            var sessionId = Text(root, "session_id") ?? throw new FormatException("the hook event has no session_id");
            var cwd = Text(root, "cwd") ?? throw new FormatException("the hook event has no cwd");
            var name = Text(root, "hook_event_name") ?? throw new FormatException("the hook event has no hook_event_name");
            var label = name switch
            {
                "UserPromptSubmit" => Bounded(FirstLine(Text(root, "prompt") ?? "")) is { Length: > 0 } prompt ? prompt : "prompt",
                "PostToolUse" => ToolLabel(Text(root, "tool_name") ?? "tool", root.TryGetProperty("tool_input", out var input) ? input : default, cwd),
                "Stop" => "turn end",
                _ => null,
            };
            return new ClaudeCodeEvent(SessionPrefix + sessionId, cwd, name, label);
        }
    }

    /// <summary>"Edit src/app.ts" (the path relative to the workspace when inside it), "Bash npm test", or the tool's name alone.</summary>
    private static string ToolLabel(string tool, JsonElement input, string cwd)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            return tool;
        }
        if ((Text(input, "file_path") ?? Text(input, "notebook_path") ?? Text(input, "path")) is { Length: > 0 } path)
        {
            var relative = Path.IsPathRooted(path) ? Path.GetRelativePath(cwd, path) : path;
            return Bounded($"{tool} {(relative.StartsWith("..", StringComparison.Ordinal) ? path : relative)}");
        }
        return Text(input, "command") is { Length: > 0 } command ? Bounded($"{tool} {FirstLine(command)}") : tool;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string FirstLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    private static string Bounded(string text) => text.Length <= MaxLabelLength ? text : text[..(MaxLabelLength - 1)].TrimEnd() + "…";
}
