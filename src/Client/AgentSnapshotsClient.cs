namespace AgentSnapshots.Client;

/// <summary>
/// <see cref="IAgentSnapshotsClient"/> over the SDK's own Orleans client. Paths are prepared here, where the caller's
/// current directory is known: relative directories are made absolute, and absolute revert paths inside the
/// session's workspace are made relative, since the silo has a current directory of its own.
/// </summary>
internal sealed class AgentSnapshotsClient(ClusterConnection connection) : IAgentSnapshotsClient
{
    public async Task<TrackResult> TrackAsync(string sessionId, string? directory = null, string? label = null, CancellationToken cancellationToken = default)
    {
        var session = await SessionAsync(sessionId, cancellationToken);
        return await session.Track(Absolute(directory), label, cancellationToken);
    }

    public async Task<TrackResult> TrackWorkspaceAsync(string sessionId, string workspace, string? label = null, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).TrackWorkspace(workspace, label, cancellationToken);

    public async Task<ChangesResult> ChangesAsync(string sessionId, string since, string? after = null, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).Changes(since, after, cancellationToken);

    public async Task<DiffSummary> DiffAsync(string sessionId, string from, string? to = null, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).Diff(from, to, cancellationToken);

    public async Task<RestoreResult> RestoreAsync(string sessionId, string to, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).Restore(to, cancellationToken);

    public async Task<RestoreResult> RevertAsync(string sessionId, string to, IEnumerable<string> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var session = await SessionAsync(sessionId, cancellationToken);
        var list = files.ToList();
        if (list.Exists(Path.IsPathRooted))
        {
            var workspace = (await session.History(cancellationToken)).Workspace;
            if (workspace is not null)
            {
                list = list.ConvertAll(f => Path.IsPathRooted(f) ? RelativeTo(workspace, f) : f);
            }
        }
        list = list.ConvertAll(f => f.Replace('\\', '/'));
        return await session.Revert(to, list, cancellationToken);
    }

    public async Task<SessionHistory> HistoryAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).History(cancellationToken);

    public async Task<WorkspaceUsage> UsageAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).Usage(cancellationToken);

    public async Task<CollectionReport> CollectAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).Collect(cancellationToken);

    public async Task<DeletedSession> DeleteAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(sessionId, cancellationToken)).Delete(cancellationToken);

    private async ValueTask<ISessionGrain> SessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        // No id at all is a programming error; a malformed one is the silo's to refuse, with its coded error.
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var client = await connection.GetClientAsync(cancellationToken);
        return client.GetGrain<ISessionGrain>(sessionId);
    }

    /// <summary>The directory made absolute against this process's current directory; blank or NUL-bearing ones go as given, for the silo to refuse.</summary>
    private static string? Absolute(string? directory) =>
        string.IsNullOrWhiteSpace(directory) || directory.Contains('\0', StringComparison.Ordinal) ? directory : Path.GetFullPath(directory);

    private static string RelativeTo(string workspace, string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return path;
        }
        var relative = Path.GetRelativePath(workspace, Path.GetFullPath(path));
        // Outside the workspace: send it unchanged, the silo refuses it with a clear message.
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
