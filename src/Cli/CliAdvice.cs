namespace AgentSnapshots.Cli;

/// <summary>
/// What the CLI tells its user to do after a refusal, by the problem's code, in terms of its verbs and options. The
/// silo states what was wrong (the problem's <c>fact</c>); its detail's advice is worded for HTTP callers.
/// </summary>
internal static class CliAdvice
{
    public static string? For(string code, string session) => code switch
    {
        "unknownSession" => $"Run 'agentsnapshots track --session {session} --dir DIR' first.",
        "workspaceMismatch" => "Track it without --dir, or use another --session for that directory.",
        "unknownSnapshot" => $"Run 'agentsnapshots history --session {session}' to list the snapshots it keeps.",
        _ => null,
    };
}
