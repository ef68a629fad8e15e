namespace AgentSnapshots.Engine.Ignore;

/// <summary>
/// Builds the ignore rules for a workspace root: the .gitignore files of an enclosing repository between its top
/// and the root, the root's own .gitignore, the repository's info/exclude, and the service's configured excludes.
/// </summary>
public static class WorkspaceIgnoreRules
{
    public static IgnoreRules ForRoot(string root, IReadOnlyList<string> configuredExcludes)
    {
        var repositoryTop = FindRepositoryTop(root);
        var above = new List<IgnoreFile>();
        var fallbacks = new List<IgnoreFile>();
        if (repositoryTop is not null)
        {
            // .gitignore files above the root, outermost first so that deeper ones are pushed later and win.
            var chain = new List<string>();
            for (var dir = Path.GetDirectoryName(root); dir is not null && dir.Length >= repositoryTop.Length; dir = Path.GetDirectoryName(dir))
            {
                chain.Add(dir);
                if (dir == repositoryTop) break;
            }
            chain.Reverse();
            foreach (var dir in chain)
            {
                var file = Path.Join(dir, ".gitignore");
                if (File.Exists(file))
                {
                    above.Add(IgnoreFile.Above(Path.GetRelativePath(dir, root).Replace(Path.DirectorySeparatorChar, '/'), IgnoreFile.ReadLines(file)));
                }
            }
            var exclude = Path.Join(GitDirectoryOf(repositoryTop), "info", "exclude");
            if (File.Exists(exclude))
            {
                var rootFromTop = Path.GetRelativePath(repositoryTop, root).Replace(Path.DirectorySeparatorChar, '/');
                fallbacks.Add(IgnoreFile.Above(rootFromTop == "." ? "" : rootFromTop, IgnoreFile.ReadLines(exclude)));
            }
        }
        var rootIgnore = Path.Join(root, ".gitignore");
        if (File.Exists(rootIgnore))
        {
            above.Add(IgnoreFile.Inside("", IgnoreFile.ReadLines(rootIgnore)));
        }
        if (configuredExcludes.Count > 0)
        {
            fallbacks.Add(IgnoreFile.Inside("", configuredExcludes));
        }
        return IgnoreRules.Create(above, fallbacks);
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return dotGit;
    }
}
