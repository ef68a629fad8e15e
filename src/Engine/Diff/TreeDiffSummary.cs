using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// What changed between two trees, capped in size whatever the files' sizes: the first files (at most
/// <c>MaxFiles</c>, under <c>MaxSummaryBytes</c>) with their stats and previews, and totals over every file.
/// </summary>
public sealed record TreeDiffSummary(
    GitObjectId From,
    GitObjectId To,
    int FileCount,
    int OmittedFiles,
    long Additions,
    long Deletions,
    IReadOnlyList<FileDiffSummary> Files)
{
    /// <summary>Every file's stats, listed or not, equal git's (false: some are upper bounds).</summary>
    public bool Exact { get; init; } = true;
}

/// <summary>One changed file. <c>Exact</c> false means additions and deletions are upper bounds whose difference is exact.</summary>
public sealed record FileDiffSummary(
    string File,
    ChangeStatus Status,
    long Additions,
    long Deletions,
    bool Exact,
    bool Binary,
    long OldSize,
    long NewSize,
    string Patch,
    bool Truncated);
