using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// The session grain's refusals: one line each, the facts of what was wrong in neutral words. What to do about it is
/// each surface's to say (the CLI's verbs, the API's requests, the MCP tools, the UI's pages), by the error's code.
/// </summary>
internal static class SessionErrors
{
    public static SnapshotRequestException NotBound(string session, string verb) =>
        new(RequestError.UnknownSession,
            $"Session '{session}' is not bound to a workspace yet, and {verb} needs one.");

    public static SnapshotRequestException NoDirectory(string session) =>
        new(RequestError.UnknownSession,
            $"Session '{session}' is not bound to a workspace yet, and its first track needs a directory.");

    public static SnapshotRequestException BoundElsewhere(string session, string bound, string canonical) =>
        new(RequestError.WorkspaceMismatch,
            $"Session '{session}' is bound to {bound}, not {canonical}.");

    /// <summary>A first track's directory resolves outside the tenant's roots (where to is not said: it may be another tenant's).</summary>
    public static SnapshotRequestException OutsideTenantRoots(string tenant, string directory, IReadOnlyList<string> roots) =>
        new(RequestError.OutsideWorkspaceRoots,
            $"Workspace directory '{MessageText.Shown(directory)}' is outside the workspace roots of tenant '{tenant}' ({Listed(roots)}) once its symlinks are followed: use a directory under one of them.");

    /// <summary>The session's bound directory is no longer under the tenant's roots (they changed, or it was moved).</summary>
    public static SnapshotRequestException BoundOutsideTenantRoots(string session, string tenant, string bound, IReadOnlyList<string> roots) =>
        new(RequestError.OutsideWorkspaceRoots,
            $"Session '{session}' is bound to {bound}, which is no longer under the workspace roots of tenant '{tenant}' ({Listed(roots)}): nothing was touched; track a directory under them with a new session.");

    public static SnapshotRequestException NoSnapshots(string session, string verb) =>
        new(RequestError.UnknownSession,
            $"Session '{session}' has no snapshots yet, and {verb} needs one.");

    public static SnapshotRequestException NotOurs(string session, string argument, string hash) =>
        new(RequestError.UnknownSnapshot,
            $"'{argument}' {hash} is not a snapshot of session '{session}'.");

    public static SnapshotRequestException Removed(string message) => new(RequestError.UnknownSnapshot, message);

    /// <summary>
    /// Revert's paths in normal form, each checked before anything is touched: InvalidPath says which path and
    /// why, or that there is none.
    /// </summary>
    public static List<string> RevertPaths(IReadOnlyList<string>? files) =>
        files is null || files.Count == 0
            ? throw new SnapshotRequestException(RequestError.InvalidPath, "revert needs at least one file (a path relative to the workspace); to restore every file, use restore.")
            : files.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();

    private static string Listed(IReadOnlyList<string> roots) => roots.Count == 0 ? "none: the tenant is not configured" : string.Join(", ", roots);
}
