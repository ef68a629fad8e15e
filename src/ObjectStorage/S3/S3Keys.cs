namespace AgentSnapshots.ObjectStorage.S3;

/// <summary>
/// The bucket's key layout: <c>&lt;prefix&gt;/&lt;store&gt;/&lt;name&gt;</c> (no leading prefix when none is configured),
/// so a store is one key prefix (listed, cleaned) and the stores are the prefix's "directories".
/// </summary>
internal sealed class S3Keys(string prefix)
{
    /// <summary>The configured prefix with exactly one trailing '/', or empty.</summary>
    public string Root { get; } = prefix.Trim().TrimEnd('/') is { Length: > 0 } trimmed ? trimmed + "/" : "";

    /// <summary>The prefix of every key of <paramref name="store"/>, ending in '/'.</summary>
    public string StorePrefix(string store) => $"{Root}{CheckedSegment(store, "store")}/";

    /// <summary>The key of file <paramref name="name"/> of <paramref name="store"/>.</summary>
    public string File(string store, string name) => StorePrefix(store) + CheckedSegment(name, "file name");

    /// <summary>The file name a key under <paramref name="storePrefix"/> stands for, or null for a key that is not one of ours (deeper).</summary>
    public static string? FileName(string key, string storePrefix)
    {
        var name = key[storePrefix.Length..];
        return name.Length == 0 || name.Contains('/', StringComparison.Ordinal) ? null : name;
    }

    /// <summary>The store a common prefix (<c>&lt;Root&gt;&lt;store&gt;/</c>) of a delimited listing stands for.</summary>
    public string StoreOf(string commonPrefix) => commonPrefix[Root.Length..].TrimEnd('/');

    private static string CheckedSegment(string value, string what)
    {
        // Stores are workspace ids and names are pack file names: a '/' or an empty value would be a caller's bug that
        // would otherwise read or delete another store's keys.
        if (value.Length == 0 || value.Contains('/', StringComparison.Ordinal) || value is "." or "..")
        {
            throw new ArgumentException($"Not a valid {what} for the s3 object backend: '{value}'.", what == "store" ? "store" : "name");
        }

        return value;
    }
}
