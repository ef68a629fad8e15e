namespace AgentSnapshots.Silo.Http;

/// <summary>
/// What the HTTP API tells its caller to do after a refusal of a session operation, by the refusal's code, in the API's
/// own terms (its requests). The grains state only what was wrong; the CLI, the MCP tools and the UI word their own advice.
/// </summary>
internal static class ApiAdvice
{
    public static string? For(RequestError error, string? session)
    {
        var snapshots = $"/v1/sessions/{(session is null ? "{session}" : Uri.EscapeDataString(session))}/snapshots";
        return error switch
        {
            RequestError.UnknownSession => $"Take its first snapshot with POST {snapshots} and the body {{\"dir\": \"<the workspace directory>\"}}.",
            RequestError.WorkspaceMismatch => $"Send POST {snapshots} without 'dir' to snapshot its own directory, or use another session for that directory.",
            RequestError.UnknownSnapshot => $"GET {snapshots} lists the snapshots it keeps.",
            _ => null,
        };
    }
}
