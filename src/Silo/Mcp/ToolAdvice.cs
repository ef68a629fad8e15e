namespace AgentSnapshots.Silo.Mcp;

/// <summary>
/// What a tool error tells the model to do after a refusal, by the refusal's code, in terms of the tools (the grains
/// state only what was wrong; each surface words its own advice).
/// </summary>
internal static class ToolAdvice
{
    public static string? For(RequestError error) => error switch
    {
        RequestError.UnknownSession => "Call 'snapshot' with 'dir' (the workspace directory) first.",
        RequestError.WorkspaceMismatch => "Call 'snapshot' without 'dir' to snapshot its own directory, or use another session for that directory.",
        RequestError.UnknownSnapshot => "Call 'history' to list the snapshots it keeps.",
        _ => null,
    };
}
