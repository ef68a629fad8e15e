using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>Checks of the ids grains are addressed by; a bad one is refused before anything is touched.</summary>
internal static partial class RequestChecks
{
    [System.Text.RegularExpressions.GeneratedRegex("^ws-[0-9a-f]{8,64}$")]
    private static partial System.Text.RegularExpressions.Regex WorkspaceIdPattern();

    public static void CheckSessionId(string? id)
    {
        // Tenant-scoped keys (tenant@id) are made by the silo's HTTP API; clients choose the id part only.
        if (!SessionIds.IsValidSessionKey(id))
        {
            throw new SnapshotRequestException(RequestError.MalformedId,
                $"Session id '{MessageText.Shown(id)}' is not accepted: use {SessionName.Form}.");
        }
    }

    public static void CheckWorkspaceId(string? id)
    {
        if (id is null || !WorkspaceIdPattern().IsMatch(id))
        {
            throw new SnapshotRequestException(RequestError.MalformedId,
                $"Workspace id '{MessageText.Shown(id)}' is not of the form ws-<hexadecimal digits>.");
        }
    }
}
