namespace AgentSnapshots.Engine.Foundation;

/// <summary>How error messages show values a client supplied.</summary>
public static class MessageText
{
    private const int MaxShown = 200;

    /// <summary>
    /// A client-supplied value as an error message shows it: control characters escaped (\n, \t, \0, \xNN) so the
    /// message stays one line, and cut after 200 characters.
    /// </summary>
    public static string Shown(string? value)
    {
        if (value is null) return "";
        var sb = new System.Text.StringBuilder(Math.Min(value.Length, MaxShown) + 8);
        foreach (var c in value.Length > MaxShown ? value[..MaxShown] : value)
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
        if (value.Length > MaxShown) sb.Append("...");
        return sb.ToString();
    }
}
