namespace AgentSnapshots;

/// <summary>The result of taking a snapshot: its tree hash, how many files it holds, and the files it left out.</summary>
[GenerateSerializer, Immutable]
public sealed record TrackResult(
    [property: Id(0)] string Hash,
    [property: Id(1)] int Files,
    [property: Id(2)] IReadOnlyList<string> Skipped);

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
