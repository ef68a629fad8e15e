using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>The session grain's refusals: one line each, saying what was wrong and what to do.</summary>
internal static class SessionErrors
{
    public static SnapshotRequestException NotBound(string session, string verb) =>
        new(RequestError.UnknownSession,
            $"Session '{session}' is not bound to a workspace yet, and {verb} needs one: run 'track --session {session} --dir DIR' first.");

    public static SnapshotRequestException NoDirectory(string session) =>
        new(RequestError.UnknownSession,
            $"Session '{session}' is not bound to a workspace yet: pass a directory (track --dir DIR) on its first track.");

    public static SnapshotRequestException BoundElsewhere(string session, string bound, string canonical) =>
        new(RequestError.WorkspaceMismatch,
            $"Session '{session}' is bound to {bound}, not {canonical}: track it without --dir, or use another --session for that directory.");

    public static SnapshotRequestException NoSnapshots(string session, string verb) =>
        new(RequestError.UnknownSession,
            $"Session '{session}' has no snapshots yet, and {verb} needs one: run 'track --session {session} --dir DIR' first.");

    public static SnapshotRequestException NotOurs(string session, string argument, string hash) =>
        new(RequestError.UnknownSnapshot,
            $"{argument} {hash} is not a snapshot of session '{session}': run 'history --session {session}' to list its snapshots.");

    public static SnapshotRequestException Removed(string message) => new(RequestError.UnknownSnapshot, message);

    /// <summary>
    /// Revert's paths in normal form, each checked before anything is touched: InvalidPath says which path and
    /// why, or that there is none.
    /// </summary>
    public static List<string> RevertPaths(IReadOnlyList<string>? files) =>
        files is null || files.Count == 0
            ? throw new SnapshotRequestException(RequestError.InvalidPath, "revert needs at least one file (a path relative to the workspace); to restore every file, use restore.")
            : files.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A hash argument in its normal (lowercase) form, or MalformedId saying what a hash looks like.</summary>
    public static string ParseHash(string? hash, string argument) => WorkspaceIdentity.ParseHash(hash, argument).ToHex();
}
