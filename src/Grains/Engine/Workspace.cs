namespace AgentSnapshots.Engine;

/// <summary>
/// One workspace directory and its shadow object store: snapshots, changes and restores.
/// Not thread-safe: one writer per workspace (the WorkspaceGrain) calls it.
/// </summary>
public sealed class Workspace
{
    private Workspace(string directory, ObjectStore store, SnapshotsOptions options)
    {
        Directory = directory;
        Store = store;
        Options = options;
    }

    /// <summary>The canonical working-tree directory.</summary>
    public string Directory { get; }

    public ObjectStore Store { get; }

    public SnapshotsOptions Options { get; }

    /// <summary>Opens (creating if needed) the object store of the workspace at canonical <paramref name="directory"/>.</summary>
    public static Workspace Open(string directory, SnapshotsOptions options)
    {
        var store = ObjectStore.Open(Path.Combine(options.WorkspacesDirectory, WorkspaceIdentity.IdFor(directory)));
        return new Workspace(directory, store, options);
    }

    /// <summary>Writes a snapshot of the working tree now and returns its tree hash, file count and skipped paths.</summary>
    public TrackResult Snapshot(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Paths (workspace-relative, '/'-separated) that differ between <paramref name="since"/> and the working tree now.</summary>
    public ChangesResult Changes(GitObjectId since, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>
    /// Takes a safety snapshot, then makes the working tree match <paramref name="to"/> for <paramref name="files"/>
    /// (null: every path either snapshot covers). Ignored, skipped and never-snapshotted files are untouched.
    /// </summary>
    public RestoreResult Restore(GitObjectId to, IReadOnlyList<string>? files, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
