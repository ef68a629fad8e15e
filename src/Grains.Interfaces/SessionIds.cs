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
                $"Session id '{Shown(id)}' is not accepted: use 1 to {MaxLength} characters from letters, digits and . _ : -");
        }
    }

    /// <summary>
    /// A client-supplied value as an error message shows it: control characters escaped (\n, \t, \0, \xNN) so the
    /// message stays one line, and cut after 200 characters.
    /// </summary>
    public static string Shown(string? value)
    {
        if (value is null) return "";
        var sb = new System.Text.StringBuilder(Math.Min(value.Length, 200) + 8);
        foreach (var c in value.Length > 200 ? value[..200] : value)
        {
            _ = c switch
            {
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                '\0' => sb.Append("\\0"),
                _ when char.IsControl(c) => sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                _ => sb.Append(c),
            };
        }
        if (value.Length > 200) sb.Append("...");
        return sb.ToString();
    }

    public static void CheckWorkspaceId(string? id)
    {
        if (id is null || !WorkspaceIdPattern().IsMatch(id))
        {
            throw new SnapshotRequestException(RequestError.MalformedId,
                $"Workspace id '{Shown(id)}' is not of the form ws-<hexadecimal digits>.");
        }
    }
}
