using Microsoft.Extensions.Options;

namespace AgentSnapshots.Client;

/// <summary>
/// <see cref="IAgentSnapshotsClient"/> over the SDK's own Orleans client. Paths are prepared here, where the caller's
/// current directory is known: relative directories are made absolute, and absolute revert paths inside the
/// session's workspace are made relative, since the silo has a current directory of its own.
/// </summary>
/// Calls that meet transient unavailability are retried (<see cref="TransientRetry"/>): any call the cluster did not
/// run; a read, track or gc also when it may have run.
internal sealed class AgentSnapshotsClient(ClusterConnection connection, IOptions<AgentSnapshotsClientOptions> options) : IAgentSnapshotsClient
{
    private readonly TransientRetry _retry = new(options.Value.CallRetryTime, connection.GatewayLoss);

    public Task<TrackResult> TrackAsync(string sessionId, string? directory = null, string? label = null, CancellationToken cancellationToken = default)
    {
        var absolute = Absolute(directory);
        return Repeatable(sessionId, (s, ct) => s.TrackAsync(absolute, label, ct), cancellationToken);
    }

    public Task<TrackResult> TrackWorkspaceAsync(string sessionId, string workspace, string? label = null, CancellationToken cancellationToken = default) =>
        Repeatable(sessionId, (s, ct) => s.TrackWorkspaceAsync(workspace, label, ct), cancellationToken);

    public async Task<ChangesResult> ChangesAsync(string sessionId, string since, string? after = null, CancellationToken cancellationToken = default)
    {
        var sinceHash = SnapshotHash.Parse(since, nameof(since));
        return await Repeatable(sessionId, (s, ct) => s.ChangesAsync(sinceHash, after, ct), cancellationToken);
    }

    public async Task<DiffSummary> DiffAsync(string sessionId, string from, string? to = null, CancellationToken cancellationToken = default)
    {
        var (fromHash, toHash) = (SnapshotHash.Parse(from, nameof(from)), to is null ? (SnapshotHash?)null : SnapshotHash.Parse(to, nameof(to)));
        return await Repeatable(sessionId, (s, ct) => s.DiffAsync(fromHash, toHash, ct), cancellationToken);
    }

    public async Task<RestoreResult> RestoreAsync(string sessionId, string to, CancellationToken cancellationToken = default)
    {
        var toHash = SnapshotHash.Parse(to, nameof(to));
        return await Restoring(sessionId, "restore", toHash, s => s.RestoreAsync(toHash, cancellationToken), cancellationToken);
    }

    public async Task<RestoreResult> RevertAsync(string sessionId, string to, IEnumerable<string> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var toHash = SnapshotHash.Parse(to, nameof(to));
        var list = files.ToList();
        if (list.Exists(Path.IsPathRooted))
        {
            var workspace = (await HistoryAsync(sessionId, cancellationToken)).Workspace;
            if (workspace is not null)
            {
                list = list.ConvertAll(f => Path.IsPathRooted(f) ? RelativeTo(workspace, f) : f);
            }
        }
        list = list.ConvertAll(f => f.Replace('\\', '/'));
        return await Restoring(sessionId, "revert", toHash, s => s.RevertAsync(toHash, list, cancellationToken), cancellationToken);
    }

    public Task<SessionHistory> HistoryAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Repeatable(sessionId, (s, ct) => s.HistoryAsync(ct), cancellationToken);

    public Task<WorkspaceUsage> UsageAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Repeatable(sessionId, (s, ct) => s.UsageAsync(ct), cancellationToken);

    public Task<CollectionReport> CollectAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Repeatable(sessionId, (s, ct) => s.CollectAsync(ct), cancellationToken);

    public Task<DeletedSession> DeleteAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Once(sessionId, s => s.DeleteAsync(cancellationToken), cancellationToken);

    /// <summary>A call that may be sent again even if an attempt ran (reads, tracks, gc).</summary>
    private Task<T> Repeatable<T>(string sessionId, Func<ISessionGrain, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        _retry.RunAsync(TransientRetry.Always, async ct => await call(await SessionAsync(sessionId, cancellationToken), ct), cancellationToken);

    /// <summary>A call sent again only if the cluster did not run it (delete).</summary>
    private Task<T> Once<T>(string sessionId, Func<ISessionGrain, Task<T>> call, CancellationToken cancellationToken) =>
        _retry.RunAsync(TransientRetry.Never, async _ => await call(await SessionAsync(sessionId, cancellationToken)), cancellationToken);

    /// <summary>
    /// A restore or revert: sent again after an attempt that may have run only if that attempt wrote nothing. A restore
    /// records its safety snapshot in the history before it touches a file, so the history is read before the first
    /// attempt and again after a lost one: the same number of safety snapshots means nothing was written and the
    /// restore is sent again; one more means it may have run in part, and the caller is told which safety snapshot
    /// undoes it instead of the restore being applied a second time blindly.
    /// </summary>
    private async Task<RestoreResult> Restoring(string sessionId, string verb, SnapshotHash to, Func<ISessionGrain, Task<RestoreResult>> call, CancellationToken cancellationToken)
    {
        var safetiesBefore = SafetyLabels.CountIn(await HistoryAsync(sessionId, cancellationToken));
        return await _retry.RunAsync(async lost =>
        {
            var after = await HistoryAsync(sessionId, cancellationToken);
            if (SafetyLabels.CountIn(after) == safetiesBefore) return true;
            throw new SnapshotServiceException(ServiceError.RestoreFailed,
                $"The silo running the {verb} of session '{sessionId}' to {to} went away after it took safety snapshot {SafetyLabels.Newest(after)}: the {verb} may have run in part, so it was not sent again. {Capitalized(verb)} to {to} again to finish it, or restore to {SafetyLabels.Newest(after)} to undo it.",
                lost);
        }, async _ => await call(await SessionAsync(sessionId, cancellationToken)), cancellationToken);
    }

    private static string Capitalized(string verb) => char.ToUpperInvariant(verb[0]) + verb[1..];

    private async ValueTask<ISessionGrain> SessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        // No id at all is a programming error; a malformed one is refused here, before any call, with the coded error.
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var name = SessionName.Parse(sessionId);
        var client = await connection.GetClientAsync(cancellationToken);
        return client.GetGrain<ISessionGrain>(name.Value);
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
