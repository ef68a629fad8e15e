using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;

namespace AgentSnapshots;

/// <summary>The engine's results as the wire records clients receive.</summary>
internal static class WireMapping
{
    public static TrackResult ToWire(this SnapshotTaken snapshot) =>
        new(snapshot.Hash, snapshot.Files, [.. snapshot.Skipped.Select(s => new SkippedFile(s.Path, (SkipReason)s.Cause))]);

    public static ChangesResult ToWire(this ChangedPaths changes) => new(changes.Since.ToHex(), changes.Paths);

    public static RestoreResult ToWire(this RestoreOutcome outcome) =>
        new(outcome.To.ToHex(), outcome.Safety.Hash, outcome.Written, outcome.Deleted);

    public static DiffSummary ToWire(this TreeDiffSummary summary) =>
        new(summary.From.ToHex(), summary.To.ToHex(), summary.FileCount, summary.OmittedFiles, summary.Additions, summary.Deletions,
            [.. summary.Files.Select(f => new FileDiff(f.File, (FileStatus)f.Status, f.Additions, f.Deletions, f.Exact, f.Binary,
                f.OldSize, f.NewSize, f.Patch, f.Truncated))]);

    /// <summary>
    /// An engine error as the exception a client can receive: bad input as <see cref="SnapshotRequestException"/>,
    /// anything else as <see cref="SnapshotServiceException"/>. Both have codecs, so they cross grain boundaries.
    /// </summary>
    public static Exception ToWire(this EngineException e) => e.Error switch
    {
        EngineError.UnknownSnapshot => new SnapshotRequestException(RequestError.UnknownSnapshot, e.Message),
        EngineError.OutsideWorkspaceRoots => new SnapshotRequestException(RequestError.OutsideWorkspaceRoots, e.Message),
        EngineError.InvalidPath => new SnapshotRequestException(RequestError.InvalidPath, e.Message),
        EngineError.MissingDirectory => new SnapshotRequestException(RequestError.MissingDirectory, e.Message),
        EngineError.WorkspaceMismatch => new SnapshotRequestException(RequestError.WorkspaceMismatch, e.Message),
        EngineError.MalformedId => new SnapshotRequestException(RequestError.MalformedId, e.Message),
        EngineError.MissingObject => new SnapshotServiceException(ServiceError.MissingObject, e.Message),
        EngineError.CorruptObject => new SnapshotServiceException(ServiceError.CorruptObject, e.Message),
        EngineError.WorkspaceLocked => new SnapshotServiceException(ServiceError.WorkspaceLocked, e.Message),
        EngineError.RestoreFailed => new SnapshotServiceException(ServiceError.RestoreFailed, e.Message),
        _ => new SnapshotServiceException(ServiceError.CorruptObject, e.Message),
    };
}
