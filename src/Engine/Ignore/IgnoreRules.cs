namespace AgentSnapshots.Engine.Ignore;

/// <summary>
/// The ignore rules in force in one directory of a walk, with git's precedence: .gitignore files from the deepest
/// directory up to the repository root, then the repository's info/exclude, then the service's configured excludes.
/// The first source with a matching pattern decides. Immutable: descending pushes a child, siblings share a parent.
/// </summary>
public sealed class IgnoreRules
{
    private readonly IgnoreFile? _file;
    private readonly IgnoreRules? _parent;
    private readonly IReadOnlyList<IgnoreFile> _fallbacks;

    private IgnoreRules(IgnoreFile? file, IgnoreRules? parent, IReadOnlyList<IgnoreFile> fallbacks)
    {
        _file = file;
        _parent = parent;
        _fallbacks = fallbacks;
    }

    /// <summary>Rules before any .gitignore: per-directory files pushed later take precedence over <paramref name="fallbacks"/> (highest first).</summary>
    public static IgnoreRules Create(IEnumerable<IgnoreFile> aboveWorkspace, IReadOnlyList<IgnoreFile> fallbacks)
    {
        var rules = new IgnoreRules(null, null, fallbacks);
        foreach (var file in aboveWorkspace)
        {
            rules = rules.Push(file);
        }
        return rules;
    }

    public IgnoreRules Push(IgnoreFile file) => file.Count == 0 ? this : new IgnoreRules(file, this, _fallbacks);

    public bool IsIgnored(string workspacePath, bool isDirectory)
    {
        for (var r = this; r is not null; r = r._parent)
        {
            if (r._file?.Decide(workspacePath, isDirectory) is { } decided) return decided;
        }
        foreach (var file in _fallbacks)
        {
            if (file.Decide(workspacePath, isDirectory) is { } decided) return decided;
        }
        return false;
    }
}
