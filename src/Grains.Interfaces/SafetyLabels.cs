namespace AgentSnapshots;

/// <summary>
/// The label of the safety snapshot a restore or revert records in the session's history before it touches a file.
/// Clients rely on that order to decide whether a restore whose reply was lost may be sent again: if the history
/// holds no more safety snapshots than before the first attempt, that attempt wrote nothing.
/// </summary>
public static class SafetyLabels
{
    /// <summary>What every safety snapshot's label starts with.</summary>
    public const string Prefix = "safety: before ";

    /// <summary>The label of the safety snapshot taken before <paramref name="verb"/> (restore, revert) to <paramref name="to"/>.</summary>
    public static string Before(string verb, string to)
    {
        ArgumentNullException.ThrowIfNull(to);
        return $"{Prefix}{verb} to {to[..Math.Min(8, to.Length)]}";
    }

    /// <summary>How many of <paramref name="history"/>'s snapshots are safety snapshots.</summary>
    public static int CountIn(SessionHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return history.Snapshots.Count(s => s.Label?.StartsWith(Prefix, StringComparison.Ordinal) == true);
    }

    /// <summary>The newest safety snapshot of <paramref name="history"/> (null if it has none).</summary>
    public static string? Newest(SessionHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return history.Snapshots.LastOrDefault(s => s.Label?.StartsWith(Prefix, StringComparison.Ordinal) == true)?.Hash;
    }
}
