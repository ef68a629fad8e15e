using AgentSnapshots.Engine.Objects;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine.Reports;

/// <summary>The engine's log events (source-generated, so disabled levels cost nothing).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Snapshot {Tree} of {Workspace}: {Files} files, {Read} read, {Skipped} skipped in {ElapsedMs} ms")]
    public static partial void SnapshotTaken(ILogger logger, GitObjectId tree, string workspace, int files, int read, int skipped, long elapsedMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Skipped {Path} in {Workspace}: {Reason}")]
    public static partial void Skipped(ILogger logger, string path, string workspace, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information,
        Message = "Restored {Workspace} to {Tree} (safety {Safety}): {Written} written, {Deleted} deleted")]
    public static partial void Restored(ILogger logger, string workspace, string tree, string safety, int written, int deleted);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error,
        Message = "Restore of {Workspace} to {Tree} failed at {Path}; the safety snapshot {Safety} holds the state before it")]
    public static partial void RestoreFailed(ILogger logger, Exception exception, string workspace, string tree, string path, string safety);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning,
        Message = "Restore of {Workspace} to {Tree} cancelled after {Written} written and {Deleted} deleted; the safety snapshot {Safety} holds the state before it")]
    public static partial void RestoreCancelled(ILogger logger, string workspace, string tree, int written, int deleted, string safety);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning,
        Message = "Restore of {Workspace} to {Tree} left {Path} as it is: it is on disk but in no snapshot (ignored, skipped or unreadable)")]
    public static partial void RestoreKept(ILogger logger, string path, string workspace, string tree);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error,
        Message = "The file watcher missed changes in {Workspace}: a verification walk found {Count} paths that differ from what the next track would have used ({Paths}{More}); the next track walks in full. Report this: it is a watcher bug or a file system that raises no events")]
    public static partial void WatchMissed(ILogger logger, string workspace, int count, string paths, string more);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Debug,
        Message = "Verified the file watcher's view of {Workspace} against a walk of {Files} files: {Outcome} in {ElapsedMs} ms ({CpuMs} ms CPU)")]
    public static partial void WatchVerified(ILogger logger, string workspace, int files, VerificationOutcome outcome, long elapsedMs, long cpuMs);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Snapshot of {Workspace} walks the whole tree ({Reason}): {Why}")]
    public static partial void FullWalk(ILogger logger, string workspace, FullWalkReason reason, string why);
}
