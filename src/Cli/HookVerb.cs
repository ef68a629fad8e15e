using System.CommandLine;

namespace AgentSnapshots.Cli;

/// <summary>
/// <c>agentsnapshots hook claude-code</c>: snapshots the workspace on a Claude Code hook event (<see cref="ClaudeCodeEvent"/>).
/// A hook must never block the agent: whatever happens it exits 0 (Claude Code reads exit 2 as "block"), and a
/// problem (no silo, a refused key, a bad event) is one line on stderr, which Claude Code shows without stopping.
/// </summary>
internal static class HookVerb
{
    /// <summary>The longest a hook waits for its snapshot: within Claude Code's own hook timeout (60 s unless configured).</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(50);

    /// <summary>The largest event read (a Write's content is in it); a larger one is cut and refused.</summary>
    private const int MaxEventChars = 16 << 20;

    public const string Name = "hook";

    public static Command Create(GlobalOptions globals, TextWriter stderr)
    {
        var claudeCode = new Command("claude-code",
            "snapshot on a Claude Code hook event read from stdin (UserPromptSubmit, PostToolUse, Stop): session claude-<session_id>, directory cwd; always exits 0");
        claudeCode.SetAction(async (parse, ct) =>
        {
            try
            {
                var invocation = globals.Read(parse);
                var text = await ReadEventAsync(ct);
                var hookEvent = ClaudeCodeEvent.Read(text);
                if (hookEvent.Label is null)
                {
                    return ExitCodes.Success;
                }
                if (!SessionName.TryParse(hookEvent.Session, out _))
                {
                    throw new FormatException($"session_id makes the session name '{hookEvent.Session}', which is not accepted ({SessionName.Form})");
                }
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(Limit);
                var key = ApiKey.Find(invocation.KeyFile, invocation.Servers);
                using var api = new SiloApi(invocation.Servers, key, invocation.Verbose ? stderr : null);
                var body = new TrackRequest(hookEvent.Directory, hookEvent.Label);
                await api.CallAsync(HttpMethod.Post, hookEvent.Session, "/snapshots", SiloApi.Json(body, CliJson.Compact.TrackRequest), CliJson.Compact.TrackResult, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name} hook: no snapshot: the silo did not answer within {Limit.TotalSeconds:F0} s.");
            }
            catch (Exception e)
            {
                // Never blocks the agent: one line, exit 0.
                await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name} hook: no snapshot: {SiloApi.FirstLine(e.Message)}");
            }
            return ExitCodes.Success;
        });
        return new Command(Name, "snapshot on an agent's hook events (never blocks the agent: always exits 0)") { claudeCode };
    }

    private static async Task<string> ReadEventAsync(CancellationToken ct)
    {
        using var stdin = new StreamReader(Console.OpenStandardInput());
        var text = new System.Text.StringBuilder();
        var chunk = new char[16 * 1024];
        int count;
        while ((count = await stdin.ReadAsync(chunk, ct)) > 0)
        {
            if (text.Length + count > MaxEventChars)
            {
                throw new FormatException($"the hook event is larger than {MaxEventChars >> 20} Mi characters");
            }
            text.Append(chunk, 0, count);
        }
        return text.ToString();
    }
}
