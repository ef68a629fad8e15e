namespace AgentSnapshots.Engine.Objects;

/// <summary>The four kinds of git object.</summary>
public enum GitObjectType
{
    Blob,
    Tree,
    Commit,
    Tag,
}

/// <summary>How git spells each kind: in loose-object headers, and as a pack entry's type code.</summary>
public static class GitObjectTypes
{
    /// <summary>The name in a loose object's header and in <c>git cat-file -t</c>.</summary>
    public static string Name(GitObjectType type) => type switch
    {
        GitObjectType.Blob => "blob",
        GitObjectType.Tree => "tree",
        GitObjectType.Commit => "commit",
        GitObjectType.Tag => "tag",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(ReadOnlySpan<char> name, out GitObjectType type)
    {
        switch (name)
        {
            case "blob": type = GitObjectType.Blob; return true;
            case "tree": type = GitObjectType.Tree; return true;
            case "commit": type = GitObjectType.Commit; return true;
            case "tag": type = GitObjectType.Tag; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The 3-bit type of a whole object in a pack entry header (1 commit, 2 tree, 3 blob, 4 tag).</summary>
    internal static int PackCode(GitObjectType type) => type switch
    {
        GitObjectType.Commit => 1,
        GitObjectType.Tree => 2,
        GitObjectType.Blob => 3,
        GitObjectType.Tag => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    internal static bool TryFromPackCode(int code, out GitObjectType type)
    {
        switch (code)
        {
            case 1: type = GitObjectType.Commit; return true;
            case 2: type = GitObjectType.Tree; return true;
            case 3: type = GitObjectType.Blob; return true;
            case 4: type = GitObjectType.Tag; return true;
            default: type = default; return false;
        }
    }
}
