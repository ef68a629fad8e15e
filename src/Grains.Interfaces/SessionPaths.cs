namespace AgentSnapshots;

/// <summary>How clients turn the file arguments of a revert into the workspace-relative paths a session takes.</summary>
public static class SessionPaths
{
    /// <summary>
    /// <paramref name="path"/> relative to <paramref name="workspace"/>, '/'-separated, when it is an absolute path
    /// inside the workspace; otherwise unchanged (the session refuses it, saying why).
    /// </summary>
    public static string RelativeToWorkspace(string workspace, string path)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(path);
        if (!Path.IsPathRooted(path))
        {
            return path.Replace('\\', '/');
        }
        var relative = Path.GetRelativePath(workspace, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative.Replace('\\', '/');
    }
}
