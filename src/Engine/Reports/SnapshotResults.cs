using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Reports;

/// <summary>Why a snapshot left a path out.</summary>
public enum SkipCause
{
    /// <summary>Larger than <c>MaxFileBytes</c>.</summary>
    TooLarge,
    /// <summary>Its name is not valid UTF-8, so no tree can hold it.</summary>
    NotUtf8,
    /// <summary>Its path is longer than the system allows (PATH_MAX).</summary>
    PathTooLong,
    /// <summary>It changed every time it was read.</summary>
    KeptChanging,
    /// <summary>It could not be read (permissions, I/O error).</summary>
    Unreadable,
}

/// <summary>A path a snapshot left out ('/'-separated; directories end with '/'), and why.</summary>
public readonly record struct SkippedPath(string Path, SkipCause Cause);

/// <summary>A snapshot written to the store: its tree, how many files it holds, and the paths it left out (sorted).</summary>
public sealed record SnapshotTaken(GitObjectId Tree, int Files, IReadOnlyList<SkippedPath> Skipped)
{
    public string Hash => Tree.ToHex();

    /// <summary>Why the whole tree was walked; null when the file watcher's reports sufficed (only changed paths were read).</summary>
    public FullWalkReason? FullWalk { get; init; }

    /// <summary>Files (and symlinks) whose content this snapshot read; the others it reused from the last one.</summary>
    internal int Read { get; init; }
}

/// <summary>Paths ('/'-separated) that differ between snapshot <c>Since</c> and the working tree now.</summary>
public sealed record ChangedPaths(GitObjectId Since, GitObjectId Now, IReadOnlyList<string> Paths);

/// <summary>What a restore did: the target, the safety snapshot taken first, the paths written and deleted.</summary>
public sealed record RestoreOutcome(GitObjectId To, SnapshotTaken Safety, IReadOnlyList<string> Written, IReadOnlyList<string> Deleted);
