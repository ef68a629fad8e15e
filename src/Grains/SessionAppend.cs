namespace AgentSnapshots;

/// <summary>
/// What a session asks its workspace to write for it along with the catalogue entry of a snapshot, in the same
/// transaction: the snapshot's history row (sequence <see cref="Sequence"/>, its step pending against
/// <see cref="Previous"/>), the steps' stats computed since the session's last write, and on the first track the
/// session's binding. The session then keeps the same row in memory (<see cref="RowFor"/> builds it for both).
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record SessionAppend(
    [property: Id(0)] string SessionId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] string? Label,
    [property: Id(3)] string? Previous,
    [property: Id(4)] bool Bind,
    [property: Id(5)] IReadOnlyList<StepRow> Steps)
{
    /// <summary>The history row of snapshot <paramref name="hash"/>: its step is exact when nothing changed, pending otherwise (none for the first).</summary>
    public HistoryRow RowFor(string hash, int files, int skipped, long takenMs) =>
        new(SessionId, Sequence, hash, Label, takenMs, files, skipped,
            Previous is null || Previous == hash ? null : Previous,
            Previous == hash ? new StepRow(Sequence, 0, 0, 0, Exact: true) : null);

    /// <summary>Adds the session's part to <paramref name="batch"/>: <paramref name="row"/> (if any), the stats and the binding.</summary>
    /// <param name="dropEpoch">The workspace's drop epoch: a session bound now has nothing retention dropped before it.</param>
    public void AddTo(RowBatch batch, HistoryRow? row, string workspaceId, string directory, long dropEpoch)
    {
        if (Bind)
        {
            batch.Sessions.Add(new SessionRow(SessionId, workspaceId, directory, dropEpoch));
        }
        if (row is not null)
        {
            batch.History.Add(row);
        }
        foreach (var step in Steps)
        {
            batch.Steps.Add((SessionId, step));
        }
    }
}
