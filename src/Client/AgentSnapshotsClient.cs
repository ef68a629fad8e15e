namespace AgentSnapshots.Client;

/// <summary>
/// The typed SDK: one method per operation of a session. Relative directories are made absolute against this
/// process's current directory before they are sent, since the silo has its own.
/// </summary>
public sealed class AgentSnapshotsClient(IClusterClient client)
{
    public ISessionGrain Session(string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return client.GetGrain<ISessionGrain>(sessionId);
    }

    /// <summary>Snapshots the session's workspace now; the first call binds the session to <paramref name="directory"/>.</summary>
    public Task<TrackResult> Track(string sessionId, string? directory = null, string? label = null, CancellationToken cancellationToken = default) =>
        Session(sessionId).Track(directory is null ? null : Path.GetFullPath(directory), label, cancellationToken);

    /// <summary>Paths that differ between snapshot <paramref name="since"/> and the workspace now.</summary>
    public Task<ChangesResult> Changes(string sessionId, string since, CancellationToken cancellationToken = default) =>
        Session(sessionId).Changes(since, null, cancellationToken);

    /// <summary>Summary between two snapshots; <paramref name="to"/> null means the workspace now.</summary>
    public Task<DiffSummary> Diff(string sessionId, string from, string? to = null, CancellationToken cancellationToken = default) =>
        Session(sessionId).Diff(from, to, cancellationToken);

    /// <summary>Makes the workspace match snapshot <paramref name="to"/>; returns the safety snapshot taken first.</summary>
    public Task<RestoreResult> Restore(string sessionId, string to, CancellationToken cancellationToken = default) =>
        Session(sessionId).Restore(to, cancellationToken);

    /// <summary>
    /// Like <see cref="Restore"/> for <paramref name="files"/> only: paths relative to the workspace
    /// (absolute paths inside the session's workspace are accepted and made relative).
    /// </summary>
    public async Task<RestoreResult> Revert(string sessionId, string to, IEnumerable<string> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var list = files.ToList();
        if (list.Exists(Path.IsPathRooted))
        {
            var workspace = (await History(sessionId, cancellationToken)).Workspace;
            if (workspace is not null)
            {
                list = list.ConvertAll(f => Path.IsPathRooted(f) ? RelativeTo(workspace, f) : f);
            }
        }
        list = list.ConvertAll(f => f.Replace('\\', '/'));
        return await Session(sessionId).Revert(to, list, cancellationToken);
    }

    /// <summary>The session's snapshots, oldest first (empty for a session never tracked).</summary>
    public Task<SessionHistory> History(string sessionId, CancellationToken cancellationToken = default) =>
        Session(sessionId).History(cancellationToken);

    /// <summary>Disk used by the session's workspace store (objects, bytes), snapshots kept and sessions.</summary>
    public Task<WorkspaceUsage> Usage(string sessionId, CancellationToken cancellationToken = default) =>
        Session(sessionId).Usage(cancellationToken);

    /// <summary>Applies retention to the session's workspace now and deletes the objects no kept snapshot reaches.</summary>
    public Task<CollectionReport> Collect(string sessionId, CancellationToken cancellationToken = default) =>
        Session(sessionId).Collect(cancellationToken);

    /// <summary>Deletes the session; its snapshots no other session recorded are freed by the next collection.</summary>
    public Task<DeletedSession> Delete(string sessionId, CancellationToken cancellationToken = default) =>
        Session(sessionId).Delete(cancellationToken);

    private static string RelativeTo(string workspace, string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(workspace, full);
        // Outside the workspace: send it unchanged, the silo refuses it with a clear message.
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
