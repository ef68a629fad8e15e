using System.Text.RegularExpressions;

namespace AgentSnapshots;

/// <summary>The accepted form of client-chosen session ids, so a client can check one before it calls.</summary>
public static partial class SessionIds
{
    public const int MaxLength = 128;

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex SessionIdPattern();

    public static bool IsValidSessionId(string? id) => id is not null && SessionIdPattern().IsMatch(id);
}
