using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// A workspace grain's engine workspace and store directory: opened on first use, and every use checks that the
/// directory still resolves to the grain's workspace. Its own class so the grain keeps only its verbs; used only in
/// the grain's turns.
/// </summary>
internal sealed class WorkspaceDirectory(string key, SnapshotsOptions options, FileWorkPools pools, WatchRegistry watches, WorkspaceStores stores, ILogger logger)
{
    /// <summary>The engine workspace, once a verb opened it.</summary>
    public Workspace? Opened { get; private set; }

    /// <summary>Where the workspace's object store lives.</summary>
    public string StoreDirectory { get; } = Path.Combine(options.WorkspacesDirectory, key);

    /// <summary>The object store: the open workspace's, or opened on its own (a remote workspace's, or one not opened yet).</summary>
    public ObjectStore Store() => Opened?.Store ?? stores.Open(StoreDirectory);

    /// <summary>
    /// A backed store (<c>Snapshots:ObjectStore</c> postgres or s3): puts what the last snapshot wrote into the backend
    /// as a pack, before the snapshot is recorded. If the backend fails this throws (503) and nothing is recorded; what
    /// was not stored stays here and goes with the next publish.
    /// </summary>
    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        if (!stores.Backed) return;
        var store = Store();
        // The packing on the snapshot threads; the uploads are awaited off them (no thread waits for the backend).
        var published = await store.Backed!.PublishAsync(work => pools.Snapshots.Run(work, cancellationToken), cancellationToken);
        if (published.Packs > 0) GrainLog.Published(logger, key, published.Packs, published.Objects, published.Bytes);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the engine workspace (opened on first use; <paramref name="opened"/> is told its
    /// canonical directory) on the silo's snapshot threads, after checking there, in the same turn of the pool, that
    /// <paramref name="directory"/> still resolves to this grain's workspace: one wait for a snapshot thread per
    /// operation, not two.
    /// </summary>
    public async Task<T> RunAsync<T>(string directory, Func<Workspace, T> work, Action<string> opened, CancellationToken cancellationToken)
    {
        var workspace = Opened ?? await OpenAsync(directory, opened);
        return await pools.Snapshots.Run(() =>
        {
            CheckDirectory(directory);
            return work(workspace);
        }, cancellationToken);
    }

    /// <summary>The engine workspace, opened after checking that this grain's key belongs to the directory.</summary>
    private async Task<Workspace> OpenAsync(string directory, Action<string> opened)
    {
        var workspace = await pools.Snapshots.Run(() => Workspace.Open(CheckDirectory(directory), options, logger, watches, stores.Packs));
        Opened = workspace;
        opened(workspace.Directory);
        GrainLog.Opened(logger, key, workspace.Directory);
        return workspace;
    }

    /// <summary>Resolves <paramref name="directory"/> (inside the workspace roots, not too broad) and checks it is this grain's workspace; returns it.</summary>
    private string CheckDirectory(string directory)
    {
        var canonical = WorkspaceIdentity.ResolveDirectory(directory, options.EffectiveWorkspaceRoots, options.AllowBroadWorkspaces);
        if (string.Equals(canonical, directory, StringComparison.Ordinal) && string.Equals(WorkspaceIdentity.IdFor(canonical), key, StringComparison.Ordinal))
        {
            return canonical;
        }
        throw new EngineException(EngineError.WorkspaceMismatch, string.Equals(WorkspaceIdentity.IdFor(directory), key, StringComparison.Ordinal)
            ? $"Workspace directory '{MessageText.Shown(directory)}' now resolves elsewhere (it, or a directory above it, was moved or replaced by a symlink); nothing was snapshotted. A session stays with the directory it was bound to: track the directory where it is now with a new session."
            : $"Workspace {key} is not the workspace of {directory}: address the workspace by the id of its canonical directory.");
    }

    /// <summary>Disposing the workspace also stops a verification still walking.</summary>
    public void Close() => Opened?.Dispose();
}
