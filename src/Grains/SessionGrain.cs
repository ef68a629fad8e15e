using System.Globalization;
using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots;

/// <summary>
/// One agent session: binds to a workspace on its first track and keeps the session's snapshot history.
/// The work itself is done by the workspace's <see cref="IWorkspaceGrain"/> (writes) and by
/// <see cref="IDiffWorkerGrain"/> (summaries); this grain checks requests and records results.
/// </summary>
public sealed partial class SessionGrain(
    [PersistentState("session", SessionGrain.StorageName)] IPersistentState<SessionState> state,
    IOptions<SnapshotsOptions> options,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
    /// <summary>The grain storage provider holding sessions and workspaces.</summary>
    public const string StorageName = "snapshots";

    private string SessionId => this.GetPrimaryKeyString();

    public async Task<TrackResult> Track(string? directory, string? label)
    {
        SessionIds.CheckSessionId(SessionId);
        var canonical = await ResolveWorkspaceDirectory(directory);
        var workspaceId = WorkspaceIdentity.IdFor(canonical);

        var result = await GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId).Snapshot(canonical);

        state.State.WorkspaceId ??= workspaceId;
        state.State.Directory ??= canonical;
        Record(result.Hash, string.IsNullOrWhiteSpace(label) ? null : label.Trim(), result.Files, result.Skipped.Count);
        await state.WriteStateAsync();
        LogTracked(SessionId, result.Hash, result.Files, result.Skipped.Count);
        return result;
    }

    public async Task<ChangesResult> Changes(string since)
    {
        var (workspaceId, directory) = RequireTracked("changes");
        var sinceHash = RequireOwnSnapshot(since, "--since");
        return await GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId).Changes(directory, sinceHash);
    }

    public async Task<DiffSummary> Diff(string from, string? to)
    {
        var (workspaceId, directory) = RequireTracked("diff");
        var fromHash = RequireOwnSnapshot(from, "--from");
        string toHash;
        if (to is null)
        {
            // "Now" is a snapshot of the working tree that the history does not record.
            toHash = (await GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId).Snapshot(directory)).Hash;
        }
        else
        {
            toHash = RequireOwnSnapshot(to, "--to");
        }
        return await GrainFactory.GetGrain<IDiffWorkerGrain>(0).Summarize(workspaceId, fromHash, toHash);
    }

    public Task<RestoreResult> Restore(string to) => RestoreCore(to, null, "restore");

    public Task<RestoreResult> Revert(string to, IReadOnlyList<string> files)
    {
        if (files is null || files.Count == 0)
        {
            throw new SnapshotRequestException(RequestError.InvalidPath,
                "revert needs at least one file (a path relative to the workspace); to restore every file, use restore.");
        }
        // Checked before anything is touched: InvalidPath says which path and why.
        var normalized = files.Select(RelativePath.Normalize).Distinct(StringComparer.Ordinal).ToList();
        return RestoreCore(to, normalized, "revert");
    }

    public Task<SessionHistory> History()
    {
        SessionIds.CheckSessionId(SessionId);
        var snapshots = state.State.Snapshots
            .Select(s => new SnapshotInfo(s.Hash, s.Label, s.Time, s.Files, s.Skipped))
            .ToList();
        return Task.FromResult(new SessionHistory(SessionId, state.State.Directory, snapshots));
    }

    private async Task<RestoreResult> RestoreCore(string to, IReadOnlyList<string>? files, string verb)
    {
        var (workspaceId, directory) = RequireTracked(verb);
        var toHash = RequireOwnSnapshot(to, "--to");
        var workspace = GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);
        var label = $"safety: before {verb} to {toHash[..8]}";

        // The safety snapshot is in the history before anything is touched: a restore that fails halfway, or a silo
        // that dies during it, leaves the way back listed. (The engine's own safety snapshot is the same tree unless
        // the workspace changed in between; then that one is recorded too.)
        var before = await workspace.Snapshot(directory);
        Record(before.Hash, label, before.Files, before.Skipped.Count);
        await state.WriteStateAsync();

        var result = await workspace.Restore(directory, toHash, files);
        if (!string.Equals(result.Safety, before.Hash, StringComparison.Ordinal))
        {
            var stats = await workspace.CountsOf(result.Safety);
            Record(result.Safety, label, stats?.Files ?? 0, stats?.Skipped ?? 0);
            await state.WriteStateAsync();
        }
        LogRestored(SessionId, verb, toHash, result.Safety, result.Written.Count, result.Deleted.Count);
        return result;
    }

    private void Record(string hash, string? label, int files, int skipped) =>
        state.State.Snapshots.Add(new SessionSnapshot
        {
            Hash = hash,
            Label = label,
            Time = DateTimeOffset.UtcNow,
            Files = files,
            Skipped = skipped,
        });

    /// <summary>The directory to snapshot: the bound one, or the given one on the first call.</summary>
    private async Task<string> ResolveWorkspaceDirectory(string? directory)
    {
        var roots = options.Value.EffectiveWorkspaceRoots;
        var bound = state.State.Directory;
        if (directory is null)
        {
            if (bound is null)
            {
                throw new SnapshotRequestException(RequestError.UnknownSession,
                    $"Session '{SessionId}' is not bound to a workspace yet: pass a directory (track --dir DIR) on its first track.");
            }
            // The bound directory must still exist and still be allowed.
            await Task.Run(() => WorkspaceIdentity.ResolveDirectory(bound, roots));
            return bound;
        }

        var canonical = await Task.Run(() => WorkspaceIdentity.ResolveDirectory(directory, roots));
        if (bound is not null && !string.Equals(bound, canonical, StringComparison.Ordinal))
        {
            throw new SnapshotRequestException(RequestError.WorkspaceMismatch,
                $"Session '{SessionId}' is bound to {bound}, not {canonical}: track it without --dir, or use another --session for that directory.");
        }
        return canonical;
    }

    private (string WorkspaceId, string Directory) RequireTracked(string verb)
    {
        SessionIds.CheckSessionId(SessionId);
        if (state.State.Snapshots.Count == 0 || state.State.WorkspaceId is null || state.State.Directory is null)
        {
            throw new SnapshotRequestException(RequestError.UnknownSession,
                $"Session '{SessionId}' has no snapshots yet, and {verb} needs one: run 'track --session {SessionId} --dir DIR' first.");
        }
        return (state.State.WorkspaceId, state.State.Directory);
    }

    /// <summary>A well-formed hash of one of this session's snapshots, normalised to lowercase.</summary>
    private string RequireOwnSnapshot(string? hash, string argumentName)
    {
        var parsed = WorkspaceIdentity.ParseHash(hash, argumentName).ToHex();
        if (!state.State.Snapshots.Exists(s => string.Equals(s.Hash, parsed, StringComparison.Ordinal)))
        {
            throw new SnapshotRequestException(RequestError.UnknownSnapshot,
                string.Create(CultureInfo.InvariantCulture,
                    $"{argumentName} {parsed} is not a snapshot of session '{SessionId}': run 'history --session {SessionId}' to list its snapshots."));
        }
        return parsed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} tracked {Hash}: {Files} files, {Skipped} skipped")]
    private partial void LogTracked(string sessionId, string hash, int files, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} {Verb} to {To} (safety {Safety}): {Written} written, {Deleted} deleted")]
    private partial void LogRestored(string sessionId, string verb, string to, string safety, int written, int deleted);
}
