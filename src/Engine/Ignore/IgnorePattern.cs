namespace AgentSnapshots.Engine.Ignore;

/// <summary>One line of a gitignore-syntax file, parsed as git parses it.</summary>
public sealed class IgnorePattern
{
    private readonly string _glob;
    private readonly bool _basenameOnly;

    private IgnorePattern(string glob, bool negated, bool directoryOnly, bool basenameOnly)
    {
        _glob = glob;
        Negated = negated;
        DirectoryOnly = directoryOnly;
        _basenameOnly = basenameOnly;
    }

    /// <summary>A '!' pattern: a match re-includes the path.</summary>
    public bool Negated { get; }

    /// <summary>A pattern ending in '/': matches directories only.</summary>
    public bool DirectoryOnly { get; }

    /// <summary>Parses one line; null for blank lines and comments.</summary>
    public static IgnorePattern? Parse(string line)
    {
        if (line.EndsWith('\r')) line = line[..^1];
        if (line.Length == 0 || line[0] == '#') return null;
        line = TrimUnescapedTrailingSpaces(line);
        if (line.Length == 0) return null;

        var negated = line[0] == '!';
        if (negated) line = line[1..];
        var directoryOnly = line.EndsWith('/');
        if (directoryOnly) line = line.TrimEnd('/');
        if (line.Length == 0) return null;

        // A slash anywhere but at the end anchors the pattern to its file's directory; otherwise it matches names at any depth.
        var anchored = line.Contains('/');
        if (line[0] == '/') line = line[1..];
        return new IgnorePattern(line, negated, directoryOnly, !anchored);
    }

    /// <summary>Whether the pattern matches <paramref name="path"/>, relative to the directory of the pattern's file.</summary>
    public bool Matches(string path, bool isDirectory)
    {
        if (DirectoryOnly && !isDirectory) return false;
        if (_basenameOnly)
        {
            var slash = path.LastIndexOf('/');
            return Wildmatch.IsMatch(_glob, slash < 0 ? path : path.AsSpan(slash + 1));
        }
        return Wildmatch.IsMatch(_glob, path);
    }

    private static string TrimUnescapedTrailingSpaces(string line)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] == ' ')
        {
            // "foo\ " keeps its escaped space.
            if (end >= 2 && line[end - 2] == '\\') break;
            end--;
        }
        return line[..end];
    }
}
