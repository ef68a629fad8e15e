namespace AgentSnapshots.Engine.Ignore;

/// <summary>
/// The patterns of one ignore source and where its directory sits relative to the workspace root:
/// a .gitignore inside the workspace has a prefix to strip ("sub/"), one above it (in an enclosing repository)
/// a prefix to add ("workspace-dir/"), so every pattern sees paths relative to its own file's directory.
/// </summary>
public sealed class IgnoreFile
{
    private readonly IReadOnlyList<IgnorePattern> _patterns;
    private readonly string _strip;
    private readonly string _add;

    private IgnoreFile(IReadOnlyList<IgnorePattern> patterns, string strip, string add)
    {
        _patterns = patterns;
        _strip = strip;
        _add = add;
    }

    public int Count => _patterns.Count;

    /// <summary>Patterns whose base is the workspace directory <paramref name="relativeDirectory"/> ("" for the root).</summary>
    public static IgnoreFile Inside(string relativeDirectory, IEnumerable<string> lines) =>
        new(ParseAll(lines), relativeDirectory.Length == 0 ? "" : relativeDirectory + "/", "");

    /// <summary>Patterns whose base is above the workspace root; <paramref name="workspaceFromBase"/> is the root's path from that base.</summary>
    public static IgnoreFile Above(string workspaceFromBase, IEnumerable<string> lines) =>
        new(ParseAll(lines), "", workspaceFromBase.Length == 0 ? "" : workspaceFromBase + "/");

    public static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable ignore file ignores nothing, as in git.
            return [];
        }
    }

    /// <summary>The lines of an ignore file opened by the caller (read through a directory handle); an unreadable one ignores nothing.</summary>
    public static IEnumerable<string> ReadLines(Stream content)
    {
        var lines = new List<string>();
        try
        {
            using var reader = new StreamReader(content, detectEncodingFromByteOrderMarks: true);
            while (reader.ReadLine() is { } line) lines.Add(line);
            return lines;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The decision of the last matching pattern: true ignored, false re-included, null none matched.</summary>
    public bool? Decide(string workspacePath, bool isDirectory)
    {
        if (!workspacePath.StartsWith(_strip, StringComparison.Ordinal)) return null;
        var path = _add + workspacePath[_strip.Length..];
        for (var i = _patterns.Count - 1; i >= 0; i--)
        {
            if (_patterns[i].Matches(path, isDirectory))
            {
                return !_patterns[i].Negated;
            }
        }
        return null;
    }

    private static List<IgnorePattern> ParseAll(IEnumerable<string> lines) =>
        lines.Select(IgnorePattern.Parse).OfType<IgnorePattern>().ToList();
}
