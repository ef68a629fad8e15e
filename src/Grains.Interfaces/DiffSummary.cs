namespace AgentSnapshots;

/// <summary>What changed between two snapshots, capped in size whatever the files' sizes.</summary>
[GenerateSerializer, Immutable]
public sealed record DiffSummary(
    [property: Id(0)] string From,
    [property: Id(1)] string To,
    [property: Id(2)] int FileCount,
    [property: Id(3)] int OmittedFiles,
    [property: Id(4)] long Additions,
    [property: Id(5)] long Deletions,
    [property: Id(6)] IReadOnlyList<FileDiff> Files);

/// <summary>One changed file. <c>Exact</c> false means additions and deletions are upper bounds whose difference is exact.</summary>
[GenerateSerializer, Immutable]
public sealed record FileDiff(
    [property: Id(0)] string File,
    [property: Id(1)] FileStatus Status,
    [property: Id(2)] long Additions,
    [property: Id(3)] long Deletions,
    [property: Id(4)] bool Exact,
    [property: Id(5)] bool Binary,
    [property: Id(6)] long OldSize,
    [property: Id(7)] long NewSize,
    [property: Id(8)] string Patch,
    [property: Id(9)] bool Truncated);

[GenerateSerializer]
public enum FileStatus
{
    Added,
    Deleted,
    Modified,
}
