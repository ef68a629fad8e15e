namespace AgentSnapshots.Tests.Oracle;

/// <summary>
/// Paths of an oracle sandbox, relative to its top with '/' separators. An operation only touches a path whose
/// ancestors are real directories (or missing): never through a symlink, so nothing is written outside the sandbox.
/// </summary>
public static class SandboxPath
{
    public static string Full(string top, string relative) => Path.Join(top, relative);

    /// <summary>Whether every ancestor of <paramref name="relative"/> below the top is a real directory or absent.</summary>
    public static bool Placeable(string top, string relative)
    {
        var parts = relative.Split('/');
        var dir = top;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            dir = Path.Join(dir, parts[i]);
            var info = new FileInfo(dir);
            if (!info.Exists && !Directory.Exists(dir) && info.LinkTarget is null) return true;
            if (info.LinkTarget is not null || !Directory.Exists(dir)) return false;
        }
        return true;
    }

    /// <summary>What is at the path now, without following a symlink at its end.</summary>
    public static EntryKind KindOf(string full)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is not null) return EntryKind.Symlink;
        if (info.Exists) return EntryKind.File;
        return Directory.Exists(full) ? EntryKind.Directory : EntryKind.None;
    }

    public static void CreateParent(string full) => Directory.CreateDirectory(Path.GetDirectoryName(full)!);

    /// <summary>Removes whatever is at the path (a symlink itself, not its target; a directory with everything in it).</summary>
    public static void Remove(string full)
    {
        switch (KindOf(full))
        {
            case EntryKind.File:
            case EntryKind.Symlink:
                File.Delete(full);
                break;
            case EntryKind.Directory:
                Directory.Delete(full, recursive: true);
                break;
            case EntryKind.None:
                break;
        }
    }
}

/// <summary>What a sandbox path holds.</summary>
public enum EntryKind
{
    None,
    File,
    Directory,
    Symlink,
}
