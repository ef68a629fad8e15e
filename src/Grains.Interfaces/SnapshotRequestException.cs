namespace AgentSnapshots;

/// <summary>
/// The request was wrong and nothing was changed: the message says what was wrong and what to do.
/// Callers map it to "bad input" (the CLI exits 2); every other exception is a service failure.
/// </summary>
[GenerateSerializer]
public sealed class SnapshotRequestException : Exception
{
    public SnapshotRequestException(RequestError error, string message) : base(message) => Error = error;

    public SnapshotRequestException(RequestError error, string message, Exception inner) : base(message, inner) => Error = error;

    [Id(0)]
    public RequestError Error { get; }
}

[GenerateSerializer]
public enum RequestError
{
    /// <summary>The session has no snapshots yet, or never existed.</summary>
    UnknownSession,
    /// <summary>The session is bound to another directory.</summary>
    WorkspaceMismatch,
    /// <summary>A session, workspace or snapshot id is not of the accepted form.</summary>
    MalformedId,
    /// <summary>The hash is well formed but no snapshot of this session has it.</summary>
    UnknownSnapshot,
    /// <summary>The directory is not under any of <c>Snapshots:WorkspaceRoots</c>.</summary>
    OutsideWorkspaceRoots,
    /// <summary>A path argument is absolute, has <c>..</c>, or leaves the workspace.</summary>
    InvalidPath,
    /// <summary>The directory does not exist or is not a directory.</summary>
    MissingDirectory,
    /// <summary>
    /// The directory is a home directory or the file system root, or holds more than <c>Snapshots:MaxFilesPerWorkspace</c>
    /// files: snapshotting all of it is rarely meant (<c>Snapshots:AllowBroadWorkspaces</c> allows it).
    /// </summary>
    WorkspaceTooBroad,
}

/// <summary>
/// The service could not do what was asked, for a reason the caller did not cause: <see cref="Error"/> says which,
/// and whether a retry can help (<see cref="ServiceError.WorkspaceLocked"/>). The message is one line for an operator.
/// </summary>
[GenerateSerializer]
public sealed class SnapshotServiceException : Exception
{
    public SnapshotServiceException(ServiceError error, string message) : base(message) => Error = error;

    public SnapshotServiceException(ServiceError error, string message, Exception inner) : base(message, inner) => Error = error;

    [Id(0)]
    public ServiceError Error { get; }

    /// <summary>Whether the same call may succeed if tried again shortly.</summary>
    public bool IsRetryable => Error is ServiceError.WorkspaceLocked or ServiceError.WorkspaceOffline;
}

[GenerateSerializer]
public enum ServiceError
{
    /// <summary>An object a snapshot needs is missing from the workspace's store.</summary>
    MissingObject,
    /// <summary>An object in the workspace's store is corrupt.</summary>
    CorruptObject,
    /// <summary>Another silo holds the workspace's single-writer lock: retry shortly.</summary>
    WorkspaceLocked,
    /// <summary>A restore stopped part way; the message names the safety snapshot that undoes it.</summary>
    RestoreFailed,
    /// <summary>No workspace agent serves the session's remote workspace now: retry once one is connected.</summary>
    WorkspaceOffline,
    /// <summary>The workspace agent sent what the protocol refuses (a wrong hash, a tree naming objects never sent, ...) or went away mid-transfer; nothing was recorded.</summary>
    AgentFailed,
    /// <summary>The object backend (<c>Snapshots:ObjectStore</c> postgres or s3) cannot be reached or failed; nothing was recorded: retry shortly.</summary>
    BackendUnavailable,
}
