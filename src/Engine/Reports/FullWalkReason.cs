namespace AgentSnapshots.Engine.Reports;

/// <summary>Why a snapshot walked the whole working tree instead of reading only what the watcher saw change.</summary>
public enum FullWalkReason
{
    /// <summary><c>Snapshots:Watch</c> is off, or this system or reader has no watcher.</summary>
    WatcherOff,
    /// <summary>The first snapshot since the workspace was opened here (a silo start, a failover, a new activation).</summary>
    FirstSnapshot,
    /// <summary>Its watches were released (idle for <c>Snapshots:Watch:IdleAfter</c>, or more than <c>MaxWorkspaces</c> were watched): this walk takes them back.</summary>
    WatchesReleased,
    /// <summary>The kernel's event queue overflowed: events were lost.</summary>
    QueueOverflow,
    /// <summary>More changes were waiting than the watcher keeps track of.</summary>
    TooManyChanges,
    /// <summary>The system's watch limit (<c>fs.inotify.max_user_watches</c> or <c>max_user_instances</c>) was reached.</summary>
    WatchLimit,
    /// <summary>The system refused to watch a directory for another reason than its limit (the error is logged).</summary>
    WatchFailed,
    /// <summary>A network or user-space file system, where changes made elsewhere raise no events.</summary>
    UnsupportedFileSystem,
    /// <summary>The workspace directory itself was replaced or moved.</summary>
    RootReplaced,
    /// <summary>An ignore file that applies from outside the tree (above the root, info/exclude) or the root's own .gitignore changed.</summary>
    IgnoreFilesChanged,
    /// <summary>Objects were collected since the last snapshot: every reused blob is checked once.</summary>
    ObjectsCollected,
    /// <summary>The previous track failed (refused, cancelled or an error): what it had seen is not trusted.</summary>
    PreviousTrackFailed,
    /// <summary>A verification walk (<c>Snapshots:Watch:VerifyEvery</c>, <c>VerifyAfterIdle</c>) found changes the watcher missed.</summary>
    VerifyMismatch,
}
