namespace AgentSnapshots;

/// <summary>A session's own row: the workspace it is bound to and the drop epoch its history was last pruned at.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionRow(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string? WorkspaceId,
    [property: Id(2)] string? Directory,
    [property: Id(3)] long SyncedEpoch);

/// <summary>
/// One snapshot in a session's history (key: session and <see cref="Sequence"/>, which grows with each one). Stats are
/// null until the step's diff is computed; <see cref="PendingFrom"/> names the snapshot they are against meanwhile.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record HistoryRow(
    [property: Id(0)] string SessionId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] string Hash,
    [property: Id(3)] string? Label,
    [property: Id(4)] long TakenMs,
    [property: Id(5)] int Files,
    [property: Id(6)] int Skipped,
    [property: Id(7)] string? PendingFrom,
    [property: Id(8)] StepRow? Step);

/// <summary>A step's stats, as its history row stores them.</summary>
[GenerateSerializer, Immutable]
public sealed record StepRow(
    [property: Id(0)] long Sequence,
    [property: Id(1)] int Changed,
    [property: Id(2)] long Additions,
    [property: Id(3)] long Deletions,
    [property: Id(4)] bool Exact);

/// <summary>
/// A workspace's own row: its directory and the small part of its catalogue (session slots as a JSON array, the
/// recording sequence at the last collection, the drop epoch, the recent drops as a JSON array).
/// </summary>
public sealed record WorkspaceRow(
    string WorkspaceId,
    string? Directory,
    string Sessions,
    long CollectedAtSequence,
    long DropEpoch,
    string Drops);

/// <summary>
/// One live snapshot of a workspace (key: workspace and hash). <see cref="Position"/> orders the catalogue (the
/// sequence of its last recording); <see cref="Owners"/> is <c>slot:sequence</c> pairs separated by <c>;</c>.
/// </summary>
public sealed record CatalogueRow(
    string WorkspaceId,
    string Hash,
    long Position,
    long TakenMs,
    bool Safety,
    string Owners);

/// <summary>Changes written together, in one transaction, by <see cref="ISnapshotRows.WriteAsync"/>; applied in the order listed here.</summary>
public sealed class RowBatch
{
    /// <summary>Sessions deleted: their row and every history row.</summary>
    public List<string> DeletedSessions { get; } = [];

    public List<SessionRow> Sessions { get; } = [];

    /// <summary>History rows inserted, or replaced when one of the same sequence exists.</summary>
    public List<HistoryRow> History { get; } = [];

    /// <summary>Steps' stats set on existing history rows (of <c>SessionId</c>), ending their pending state.</summary>
    public List<(string SessionId, StepRow Step)> Steps { get; } = [];

    public List<(string SessionId, long Sequence)> DeletedHistory { get; } = [];

    public List<WorkspaceRow> Workspaces { get; } = [];

    public List<CatalogueRow> Catalogue { get; } = [];

    public List<(string WorkspaceId, string Hash)> DeletedCatalogue { get; } = [];

    public bool IsEmpty => DeletedSessions.Count + Sessions.Count + History.Count + Steps.Count + DeletedHistory.Count
        + Workspaces.Count + Catalogue.Count + DeletedCatalogue.Count == 0;

    /// <summary>How many statements the batch runs.</summary>
    public int Count => DeletedSessions.Count * 2 + Sessions.Count + History.Count + Steps.Count + DeletedHistory.Count
        + Workspaces.Count + Catalogue.Count + DeletedCatalogue.Count;
}
