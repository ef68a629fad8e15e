using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>The grains' log events (source-generated, so disabled levels cost nothing).</summary>
internal static partial class GrainLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} deleted (workspace {WorkspaceId}, {Released} snapshots released)")]
    public static partial void Deleted(ILogger logger, string sessionId, string? workspaceId, int released);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: {Count} snapshots removed by retention")]
    public static partial void Pruned(ILogger logger, string sessionId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} tracked {Hash}: {Files} files, {Skipped} skipped")]
    public static partial void Tracked(ILogger logger, string sessionId, string hash, int files, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} {Verb} to {To} (safety {Safety}): {Written} written, {Deleted} deleted")]
    public static partial void SessionRestored(ILogger logger, string sessionId, string verb, string to, string safety, int written, int deleted);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} published {Packs} packs ({Objects} loose objects, {Bytes} bytes) to its object store")]
    public static partial void Published(ILogger logger, string workspaceId, int packs, int objects, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} collected: {Dropped} snapshots dropped, {Deleted} objects ({Freed} bytes) deleted, {Bytes} bytes left")]
    public static partial void Collected(ILogger logger, string workspaceId, int dropped, long deleted, long freed, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {WorkspaceId} holds {Bytes} bytes, over Snapshots:Retention:MaxBytes ({MaxBytes}), but every snapshot left is protected (each session's latest, young safety snapshots)")]
    public static partial void OverMaxBytes(ILogger logger, string workspaceId, long bytes, long maxBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {WorkspaceId}: automatic collection failed; the next one retries")]
    public static partial void CollectionFailed(ILogger logger, Exception exception, string workspaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {WorkspaceId}: the verification of the file watcher's view failed; the next one retries")]
    public static partial void VerificationFailed(ILogger logger, Exception exception, string workspaceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} released session {SessionId}: {Released} snapshots")]
    public static partial void Released(ILogger logger, string workspaceId, string sessionId, int released);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} opened for {Directory}")]
    public static partial void Opened(ILogger logger, string workspaceId, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} restored to {To} (safety {Safety}): {Written} written, {Deleted} deleted")]
    public static partial void WorkspaceRestored(ILogger logger, string workspaceId, GitObjectId to, GitObjectId safety, int written, int deleted);

    [LoggerMessage(Level = LogLevel.Information, Message = "Summarized {WorkspaceId} {From}..{To}: {FileCount} files in {Elapsed}")]
    public static partial void Summarized(ILogger logger, string workspaceId, GitObjectId from, GitObjectId to, int fileCount, TimeSpan elapsed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stats of session {SessionId}'s step {Hash} could not be computed")]
    public static partial void StepFailed(ILogger logger, Exception exception, string sessionId, string hash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: stored by an earlier version, migrated to history rows ({Count} snapshots)")]
    public static partial void SessionMigrated(ILogger logger, string sessionId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId}: stored by an earlier version, migrated to catalogue rows ({Count} snapshots)")]
    public static partial void WorkspaceMigrated(ILogger logger, string workspaceId, int count);
}
