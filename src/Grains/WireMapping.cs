using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;

namespace AgentSnapshots;

/// <summary>The engine's results as the wire records clients receive.</summary>
internal static class WireMapping
{
    public static TrackResult ToWire(this SnapshotTaken snapshot, int maxListed)
    {
        var listed = snapshot.Skipped.Take(maxListed).Select(s => new SkippedFile(s.Path, (SkipReason)s.Cause)).ToList();
        return new(snapshot.Hash, snapshot.Files, listed, snapshot.Skipped.Count, snapshot.Skipped.Count - listed.Count);
    }

    /// <summary>The changed paths after <paramref name="after"/> (in ordinal order, as the engine lists them), capped.</summary>
    public static ChangesResult ToWire(this ChangedPaths changes, int maxListed, string? after)
    {
        var start = 0;
        if (after is not null)
        {
            start = changes.Paths.Count;
            for (var i = 0; i < changes.Paths.Count; i++)
            {
                if (string.CompareOrdinal(changes.Paths[i], after) > 0)
                {
                    start = i;
                    break;
                }
            }
        }
        var listed = changes.Paths.Skip(start).Take(maxListed).ToList();
        return new(changes.Since.ToHex(), listed, changes.Paths.Count, changes.Paths.Count - start - listed.Count);
    }

    public static RestoreResult ToWire(this RestoreOutcome outcome, int maxListed)
    {
        var written = outcome.Written.Take(maxListed).ToList();
        var deleted = outcome.Deleted.Take(maxListed).ToList();
        return new(outcome.To.ToHex(), outcome.Safety.Hash, written, deleted, outcome.Written.Count, outcome.Deleted.Count,
            outcome.Written.Count - written.Count, outcome.Deleted.Count - deleted.Count);
    }

    public static SnapshotInfo ToWire(this SessionSnapshot s) =>
        new(s.Hash, s.Label, s.Time, s.Files, s.Skipped, s.Step is { } step ? new StepStats(step.Changed, step.Additions, step.Deletions, step.Exact) : null);

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
        EngineError.WorkspaceTooBroad => new SnapshotRequestException(RequestError.WorkspaceTooBroad, e.Message),
        EngineError.MissingObject => new SnapshotServiceException(ServiceError.MissingObject, e.Message),
        EngineError.CorruptObject => new SnapshotServiceException(ServiceError.CorruptObject, e.Message),
        EngineError.WorkspaceLocked => new SnapshotServiceException(ServiceError.WorkspaceLocked, e.Message),
        EngineError.RestoreFailed => new SnapshotServiceException(ServiceError.RestoreFailed, e.Message),
        EngineError.BackendUnavailable => new SnapshotServiceException(ServiceError.BackendUnavailable, e.Message),
        _ => new SnapshotServiceException(ServiceError.CorruptObject, e.Message),
    };
}
