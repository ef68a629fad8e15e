using System.Text.RegularExpressions;

namespace AgentSnapshots;

/// <summary>The accepted forms of client-chosen ids.</summary>
public static partial class SessionIds
{
    public const int MaxLength = 128;

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex SessionIdPattern();

    [GeneratedRegex("^ws-[0-9a-f]{8,64}$")]
    private static partial Regex WorkspaceIdPattern();

    public static bool IsValidSessionId(string? id) => id is not null && SessionIdPattern().IsMatch(id);

    public static void CheckSessionId(string? id)
    {
        if (!IsValidSessionId(id))
        {
            throw new SnapshotRequestException(RequestError.MalformedId,
                $"Session id '{id}' is not accepted: use 1 to {MaxLength} characters from letters, digits and . _ : -");
        }
    }

    public static void CheckWorkspaceId(string? id)
    {
        if (id is null || !WorkspaceIdPattern().IsMatch(id))
        {
            throw new SnapshotRequestException(RequestError.MalformedId,
                $"Workspace id '{id}' is not of the form ws-<hexadecimal digits>.");
        }
    }
}
