namespace AgentSnapshots;

/// <summary>How the contract's refusals name a value the caller sent (which may be anything).</summary>
internal static class RefusalText
{
    /// <summary>
    /// The value quoted when it is short and printable; otherwise only its length, so the message stays one short line;
    /// "nothing" for null.
    /// </summary>
    public static string Quoted(string? text) =>
        text is null ? "nothing"
        : text.Length <= 80 && !text.Any(char.IsControl) ? $"'{text}'"
        : $"a value of {text.Length} characters";
}
