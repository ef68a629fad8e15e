using AgentSnapshots.Engine.Ignore;
using AgentSnapshots.Engine.SystemCalls;
using AgentSnapshots.Engine.WorkingTree.Reading;

namespace AgentSnapshots.Engine.WorkingTree;

/// <summary>
/// Builds the ignore rules that reach a workspace root from outside its tree: the .gitignore files of an enclosing
/// repository between its top and the root, the repository's info/exclude, and the service's configured excludes.
/// </summary>
public static class WorkspaceIgnoreRules
{
    /// <summary>
    /// The rules in force at the workspace root before its own .gitignore (which a walk pushes like any other
    /// directory's): .gitignore files of an enclosing repository above the root, its info/exclude, and the
    /// configured excludes.
    /// </summary>
    public static IgnoreRules AboveRoot(string root, IReadOnlyList<string> configuredExcludes)
    {
        var sources = SourcesAbove(root);
        var above = sources.IgnoreFiles
            .Select(f => IgnoreFile.Above(Path.GetRelativePath(Path.GetDirectoryName(f)!, root).Replace(Path.DirectorySeparatorChar, '/'), IgnoreFile.ReadLines(f)))
            .ToList();
        var fallbacks = new List<IgnoreFile>();
        if (sources.Exclude is { } exclude && File.Exists(exclude))
        {
            var rootFromTop = Path.GetRelativePath(sources.RepositoryTop!, root).Replace(Path.DirectorySeparatorChar, '/');
            fallbacks.Add(IgnoreFile.Above(rootFromTop == "." ? "" : rootFromTop, IgnoreFile.ReadLines(exclude)));
        }
        if (configuredExcludes.Count > 0)
        {
            fallbacks.Add(IgnoreFile.Inside("", configuredExcludes));
        }
        return IgnoreRules.Create(above, fallbacks);
    }

    /// <summary>
    /// A fingerprint of the ignore sources above the root (which repository encloses it, and the stat of each
    /// .gitignore and info/exclude file there): when it changes, every ignore decision must be made again.
    /// </summary>
    public static string StampAbove(string root)
    {
        var sources = SourcesAbove(root);
        var stamp = new System.Text.StringBuilder(sources.RepositoryTop ?? "-");
        foreach (var file in sources.IgnoreFiles.Append(sources.Exclude ?? ""))
        {
            if (file.Length == 0) continue;
            stamp.Append('|').Append(file).Append(':').Append(StatOf(file));
        }
        return stamp.ToString();
    }

    /// <summary>
    /// The file's stat as a walk compares a file's (<see cref="FileStamp"/>: its ctime shows an edit that kept the
    /// size and set the mtime back), or "-" if it is absent; where there is no statx, its size and mtime.
    /// </summary>
    private static string StatOf(string file)
    {
        if (OperatingSystem.IsLinux()) return LinuxDirectory.TryStatPath(file, out var stat) ? FileStamp.Of(stat).ToString() : "-";
        var info = new FileInfo(file);
        return info.Exists ? info.Length + ":" + info.LastWriteTimeUtc.Ticks : "-";
    }

    private sealed record Sources(string? RepositoryTop, List<string> IgnoreFiles, string? Exclude);

    /// <summary>The .gitignore files between the enclosing repository's top and the root's parent (outermost first, so deeper ones win), and its info/exclude.</summary>
    private static Sources SourcesAbove(string root)
    {
        var repositoryTop = FindRepositoryTop(root);
        var ignoreFiles = new List<string>();
        if (repositoryTop is null) return new Sources(null, ignoreFiles, null);
        for (var dir = Path.GetDirectoryName(root); dir is not null && dir.Length >= repositoryTop.Length; dir = Path.GetDirectoryName(dir))
        {
            var file = Path.Join(dir, ".gitignore");
            if (File.Exists(file)) ignoreFiles.Add(file);
            if (dir == repositoryTop) break;
        }
        ignoreFiles.Reverse();
        return new Sources(repositoryTop, ignoreFiles, Path.Join(GitDirectoryOf(repositoryTop), "info", "exclude"));
    }

    /// <summary>The nearest directory at or above <paramref name="root"/> holding a .git entry, or null.</summary>
    private static string? FindRepositoryTop(string root)
    {
        for (var dir = root; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var dotGit = Path.Join(dir, ".git");
            if (Directory.Exists(dotGit) || File.Exists(dotGit)) return dir;
        }
        return null;
    }

    /// <summary>The git directory of a working tree: ".git" itself, or where a "gitdir: ..." file points (worktrees, submodules).</summary>
    private static string GitDirectoryOf(string top)
    {
        var dotGit = Path.Join(top, ".git");
        if (Directory.Exists(dotGit)) return dotGit;
        try
        {
            var line = File.ReadLines(dotGit).FirstOrDefault() ?? "";
            if (line.StartsWith("gitdir:", StringComparison.Ordinal))
            {
                var gitDir = Path.GetFullPath(line["gitdir:".Length..].Trim(), top);
                // A linked worktree keeps info/exclude in the common directory.
                var common = Path.Join(gitDir, "commondir");
                return File.Exists(common) ? Path.GetFullPath(File.ReadAllText(common).Trim(), gitDir) : gitDir;
            }
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
        }
        return dotGit;
    }
}
