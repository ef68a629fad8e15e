namespace AgentSnapshots;

/// <summary>
/// The result of taking a snapshot: its tree hash, how many files it holds, and the files it left out: at most
/// <c>Snapshots:MaxListedPaths</c> of them are listed; <c>SkippedCount</c> counts them all and <c>OmittedSkipped</c>
/// the ones not listed.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrackResult(
    [property: Id(0)] string Hash,
    [property: Id(1)] int Files,
    [property: Id(2)] IReadOnlyList<SkippedFile> Skipped,
    [property: Id(3)] int SkippedCount,
    [property: Id(4)] int OmittedSkipped);

/// <summary>A path a snapshot left out ('/'-separated; a directory ends with '/'), and why. Restores never touch it.</summary>
[GenerateSerializer, Immutable]
public sealed record SkippedFile(
    [property: Id(0)] string Path,
    [property: Id(1)] SkipReason Reason);

/// <summary>Why a snapshot left a path out.</summary>
[GenerateSerializer]
public enum SkipReason
{
    /// <summary>Larger than <c>Snapshots:MaxFileBytes</c>.</summary>
    TooLarge,
    /// <summary>Its name is not valid UTF-8, so no git tree can hold it.</summary>
    NotUtf8,
    /// <summary>Its path is longer than the system allows (PATH_MAX).</summary>
    PathTooLong,
    /// <summary>It changed every time it was read.</summary>
    KeptChanging,
    /// <summary>It could not be read (permissions, I/O error).</summary>
    Unreadable,
}

/// <summary>
/// Paths that differ between snapshot <c>Since</c> and the workspace now, in path order: at most
/// <c>Snapshots:MaxListedPaths</c> listed after the requested position; <c>FileCount</c> counts every changed path
/// and <c>OmittedFiles</c> the ones after the last listed (ask again with <c>after</c> = the last listed path).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ChangesResult(
    [property: Id(0)] string Since,
    [property: Id(1)] IReadOnlyList<string> Files,
    [property: Id(2)] int FileCount,
    [property: Id(3)] int OmittedFiles);

/// <summary>
/// What a restore or revert did. <c>Safety</c> is the snapshot taken first, so the operation can be undone. At most
/// <c>Snapshots:MaxListedPaths</c> paths are listed in each list; the counts cover every path.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RestoreResult(
    [property: Id(0)] string To,
    [property: Id(1)] string Safety,
    [property: Id(2)] IReadOnlyList<string> Written,
    [property: Id(3)] IReadOnlyList<string> Deleted,
    [property: Id(4)] int WrittenCount,
    [property: Id(5)] int DeletedCount,
    [property: Id(6)] int OmittedWritten,
    [property: Id(7)] int OmittedDeleted);

/// <summary>A session's snapshots, oldest first.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionHistory(
    [property: Id(0)] string Session,
    [property: Id(1)] string? Workspace,
    [property: Id(2)] IReadOnlyList<SnapshotInfo> Snapshots);

/// <summary>
/// One snapshot of a session: hash, label, time, counts, and the step's stats against the session's previous
/// snapshot (<c>Step</c>: null until computed, and for the first snapshot).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SnapshotInfo(
    [property: Id(0)] string Hash,
    [property: Id(1)] string? Label,
    [property: Id(2)] DateTimeOffset Time,
    [property: Id(3)] int Files,
    [property: Id(4)] int Skipped,
    [property: Id(5)] StepStats? Step);

/// <summary>
/// What one step changed, against the session's previous snapshot: files changed, lines added and deleted, and
/// whether those equal <c>git diff --minimal --numstat</c> (false: upper bounds whose difference is exact).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StepStats(
    [property: Id(0)] int Changed,
    [property: Id(1)] long Additions,
    [property: Id(2)] long Deletions,
    [property: Id(3)] bool Exact);
