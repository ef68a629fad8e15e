namespace AgentSnapshots.Engine.Foundation;

/// <summary>What went wrong, as a caller acts on it.</summary>
public enum EngineError
{
    /// <summary>The hash is well formed but names no snapshot here.</summary>
    UnknownSnapshot,
    /// <summary>The directory is not under any allowed workspace root.</summary>
    OutsideWorkspaceRoots,
    /// <summary>A path argument is not absolute where it must be, or is not a valid workspace-relative path.</summary>
    InvalidPath,
    /// <summary>The directory does not exist or is not a directory.</summary>
    MissingDirectory,
    /// <summary>The workspace is not the one the request names.</summary>
    WorkspaceMismatch,
    /// <summary>A hash or id is not of the accepted form.</summary>
    MalformedId,
    /// <summary>The directory is a home directory or the file system root, or holds more files than allowed.</summary>
    WorkspaceTooBroad,

    /// <summary>An object a snapshot needs is not in the store (the store was changed behind the service's back).</summary>
    MissingObject,
    /// <summary>An object in the store cannot be read as what it claims to be.</summary>
    CorruptObject,
    /// <summary>Another process holds the workspace's single-writer lock: retry shortly.</summary>
    WorkspaceLocked,
    /// <summary>A restore stopped part way; its message names the safety snapshot that undoes it.</summary>
    RestoreFailed,
    /// <summary>The object backend (<c>Snapshots:ObjectStore</c> postgres or s3) cannot be reached or failed: retry shortly.</summary>
    BackendUnavailable,
}

/// <summary>
/// An error of the engine with a code: <see cref="IsBadInput"/> ones mean the request was wrong and nothing was
/// changed (the message says what to do); the others are failures of the service or its store.
/// </summary>
public class EngineException : Exception
{
    public EngineException(EngineError error, string message)
        : base(message) => Error = error;

    public EngineException(EngineError error, string message, Exception? innerException)
        : base(message, innerException) => Error = error;

    public EngineError Error { get; }

    /// <summary>The caller's input was wrong, and nothing was changed.</summary>
    public bool IsBadInput => Error <= EngineError.WorkspaceTooBroad;
}
