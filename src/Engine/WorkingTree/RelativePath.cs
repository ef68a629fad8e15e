using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.WorkingTree;

/// <summary>Workspace-relative paths as the service spells them: '/'-separated, no empty, "." or ".." parts.</summary>
public static class RelativePath
{
    /// <summary>Checks a client-supplied file argument and returns its normal form, or throws InvalidPath saying why.</summary>
    public static string Normalize(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Invalid(path, "it is empty");
        }
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid(path, "it contains a NUL character");
        }
        if (path.StartsWith('/'))
        {
            throw Invalid(path, "it is absolute; give it relative to the workspace directory");
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Any(p => p == ".."))
        {
            throw Invalid(path, "it contains '..'; give a path inside the workspace");
        }
        if (parts.Count == 0)
        {
            throw Invalid(path, "it names the workspace itself; list the files to revert, or use restore");
        }
        if (parts.Any(p => p == ".git"))
        {
            throw Invalid(path, "it is inside a .git directory, which snapshots never hold");
        }
        return string.Join('/', parts);
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="scope"/> itself or lies below it.</summary>
    public static bool IsWithin(string path, string scope) =>
        path.Length == scope.Length ? path == scope : path.Length > scope.Length && path[scope.Length] == '/' && path.StartsWith(scope, StringComparison.Ordinal);

    /// <summary>The absolute path of a workspace-relative path.</summary>
    public static string ToAbsolute(string root, string relative) =>
        relative.Length == 0 ? root : Path.Join(root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>A tree entry name that can be written safely under a directory: not empty, ".", "..", ".git", no '/' or NUL.</summary>
    public static bool IsSafeName(string name) =>
        name.Length > 0 && name != "." && name != ".." && name != ".git" && !name.Contains('/', StringComparison.Ordinal) && !name.Contains('\0', StringComparison.Ordinal);

    private static EngineException Invalid(string? path, string why) =>
        new(EngineError.InvalidPath, $"File '{MessageText.Shown(path)}' is not a valid workspace path: {why}.");
}
