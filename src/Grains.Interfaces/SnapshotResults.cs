namespace AgentSnapshots;

/// <summary>The result of taking a snapshot: its tree hash, how many files it holds, and the files it left out.</summary>
[GenerateSerializer, Immutable]
public sealed record TrackResult(
    [property: Id(0)] string Hash,
    [property: Id(1)] int Files,
    [property: Id(2)] IReadOnlyList<SkippedFile> Skipped);

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

/// <summary>Paths that differ between snapshot <c>Since</c> and the workspace now.</summary>
[GenerateSerializer, Immutable]
public sealed record ChangesResult(
    [property: Id(0)] string Since,
    [property: Id(1)] IReadOnlyList<string> Files);

/// <summary>What a restore or revert did. <c>Safety</c> is the snapshot taken first, so the operation can be undone.</summary>
[GenerateSerializer, Immutable]
public sealed record RestoreResult(
    [property: Id(0)] string To,
    [property: Id(1)] string Safety,
    [property: Id(2)] IReadOnlyList<string> Written,
    [property: Id(3)] IReadOnlyList<string> Deleted);

/// <summary>A session's snapshots, oldest first.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionHistory(
    [property: Id(0)] string Session,
    [property: Id(1)] string? Workspace,
    [property: Id(2)] IReadOnlyList<SnapshotInfo> Snapshots);

[GenerateSerializer, Immutable]
public sealed record SnapshotInfo(
    [property: Id(0)] string Hash,
    [property: Id(1)] string? Label,
    [property: Id(2)] DateTimeOffset Time,
    [property: Id(3)] int Files,
    [property: Id(4)] int Skipped);
