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

    /// <summary>The state changed since it was last written.</summary>
    private bool _changed;

    public async Task<TrackResult> Track(string? directory, string? label)
    {
        RequestChecks.CheckSessionId(SessionId);
        var canonical = await ResolveWorkspaceDirectory(directory);
        var workspaceId = WorkspaceIdentity.IdFor(canonical);

        var workspace = await Catalogued(workspaceId);
        var result = await workspace.Track(canonical, SessionId);

        state.State.WorkspaceId ??= workspaceId;
        state.State.Directory ??= canonical;
        state.State.Catalogued = true;
        Record(result.Hash, string.IsNullOrWhiteSpace(label) ? null : label.Trim(), result.Files, result.Skipped.Count);
        await SyncRetention(workspace);
        await state.WriteStateAsync();
        _changed = false;
        LogTracked(SessionId, result.Hash, result.Files, result.Skipped.Count);
        return result;
    }

    public async Task<ChangesResult> Changes(string since, string? after = null)
    {
        var (workspaceId, directory) = RequireTracked("changes");
        var workspace = await SyncedWorkspace(workspaceId);
        var sinceHash = RequireOwnSnapshot(since, "--since");
        return await RetentionChecked(workspace, () => workspace.Changes(directory, sinceHash, after), (sinceHash, "--since"));
    }

    public async Task<DiffSummary> Diff(string from, string? to)
    {
        var (workspaceId, directory) = RequireTracked("diff");
        var workspace = await SyncedWorkspace(workspaceId);
        var fromHash = RequireOwnSnapshot(from, "--from");
        string toHash;
        if (to is null)
        {
            // "Now" is a snapshot of the working tree that the history does not record.
            toHash = (await workspace.Snapshot(directory)).Hash;
        }
        else
        {
            toHash = RequireOwnSnapshot(to, "--to");
        }
        return await RetentionChecked(workspace, () => GrainFactory.GetGrain<IDiffWorkerGrain>(0).Summarize(workspaceId, fromHash, toHash),
            (fromHash, "--from"), (to is null ? "" : toHash, "--to"));
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

    public async Task<SessionHistory> History()
    {
        RequestChecks.CheckSessionId(SessionId);
        if (state.State.WorkspaceId is { } workspaceId)
        {
            await SyncedWorkspace(workspaceId);
        }
        var snapshots = state.State.Snapshots
            .Select(s => new SnapshotInfo(s.Hash, s.Label, s.Time, s.Files, s.Skipped, null))
            .ToList();
        return new SessionHistory(SessionId, state.State.Directory, snapshots);
    }

    public async Task<WorkspaceUsage> Usage()
    {
        var workspace = await SyncedWorkspace(RequireBound("usage"));
        return await workspace.Usage();
    }

    public async Task<CollectionReport> Collect()
    {
        var workspaceId = RequireBound("gc");
        var workspace = await Catalogued(workspaceId);
        var report = await workspace.Collect();
        await SyncRetention(workspace);
        await WriteIfChanged();
        return report;
    }

    public async Task<DeletedSession> Delete()
    {
        RequestChecks.CheckSessionId(SessionId);
        var workspaceId = state.State.WorkspaceId;
        var directory = state.State.Directory;
        var released = state.State.Snapshots.Select(s => s.Hash).Distinct(StringComparer.Ordinal).Count();
        if (workspaceId is not null)
        {
            // The workspace forgets the session first: a failure after it leaves a session whose history the next
            // call prunes, never a workspace keeping snapshots for a session that is gone.
            released = await GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId).Release(SessionId);
        }
        await state.ClearStateAsync();
        state.State = new SessionState();
        _changed = false;
        DeactivateOnIdle();
        LogDeleted(SessionId, workspaceId, released);
        return new DeletedSession(SessionId, workspaceId, directory, released);
    }

    private async Task<RestoreResult> RestoreCore(string to, IReadOnlyList<string>? files, string verb)
    {
        var (workspaceId, directory) = RequireTracked(verb);
        var workspace = await SyncedWorkspace(workspaceId);
        var toHash = RequireOwnSnapshot(to, "--to");
        var label = $"safety: before {verb} to {toHash[..8]}";

        // The safety snapshot is in the history (and the workspace's catalogue) before anything is touched: a restore
        // that fails halfway, or a silo that dies during it, leaves the way back listed. The engine takes its own
        // safety snapshot too; it is the same tree unless the workspace changed in between, and then it is recorded too.
        var before = await workspace.Track(directory, SessionId);
        Record(before.Hash, label, before.Files, before.Skipped.Count);
        await state.WriteStateAsync();
        _changed = false;

        var result = await RetentionChecked(workspace, () => workspace.RestoreFor(directory, toHash, files, SessionId), (toHash, "--to"));
        if (!string.Equals(result.Safety, before.Hash, StringComparison.Ordinal))
        {
            var stats = await workspace.CountsOf(result.Safety);
            Record(result.Safety, label, stats?.Files ?? 0, stats?.Skipped ?? 0);
            await state.WriteStateAsync();
            _changed = false;
        }
        LogRestored(SessionId, verb, toHash, result.Safety, result.Written.Count, result.Deleted.Count);
        return result;
    }

    private void Record(string hash, string? label, int files, int skipped)
    {
        state.State.Snapshots.Add(new SessionSnapshot
        {
            Hash = hash,
            Label = label,
            Time = DateTimeOffset.UtcNow,
            Files = files,
            Skipped = skipped,
        });
        state.State.Expired.RemoveAll(e => e.Hash == hash);
        _changed = true;
    }

    /// <summary>The session's workspace, after adopting a pre-retention session's snapshots into its catalogue.</summary>
    private async Task<IWorkspaceGrain> Catalogued(string workspaceId)
    {
        var workspace = GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);
        if (!state.State.Catalogued && state.State.Snapshots.Count > 0)
        {
            var known = state.State.Snapshots
                .Select(s => new AdoptedSnapshot(s.Hash, s.Time, s.Label?.StartsWith("safety:", StringComparison.Ordinal) == true))
                .ToList();
            await workspace.Adopt(SessionId, known);
            state.State.Catalogued = true;
            _changed = true;
        }
        return workspace;
    }

    /// <summary>The workspace, with this session's history pruned of what retention dropped (state written if it changed).</summary>
    private async Task<IWorkspaceGrain> SyncedWorkspace(string workspaceId)
    {
        var workspace = await Catalogued(workspaceId);
        await SyncRetention(workspace);
        await WriteIfChanged();
        return workspace;
    }

    /// <summary>Removes from the history every snapshot the workspace no longer keeps for this session, remembering why.</summary>
    private async Task SyncRetention(IWorkspaceGrain workspace)
    {
        if (state.State.Snapshots.Count == 0)
        {
            return;
        }
        var retained = await workspace.Retained(SessionId);
        var live = retained.Live.ToHashSet(StringComparer.Ordinal);
        var gone = state.State.Snapshots.Where(s => !live.Contains(s.Hash)).Select(s => s.Hash).Distinct(StringComparer.Ordinal).ToList();
        if (gone.Count == 0)
        {
            return;
        }
        state.State.Snapshots.RemoveAll(s => !live.Contains(s.Hash));
        foreach (var hash in gone)
        {
            var reason = retained.Dropped.FirstOrDefault(d => d.Hash == hash)?.Reason ?? DropReason.Expired;
            state.State.Expired.RemoveAll(e => e.Hash == hash);
            state.State.Expired.Add(new ExpiredSnapshot { Hash = hash, Reason = reason });
        }
        var excess = state.State.Expired.Count - SessionState.MaxExpired;
        if (excess > 0)
        {
            state.State.Expired.RemoveRange(0, excess);
        }
        _changed = true;
        LogPruned(SessionId, gone.Count);
    }

    private async Task WriteIfChanged()
    {
        if (_changed)
        {
            await state.WriteStateAsync();
            _changed = false;
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/>; if it fails because a collection removed one of <paramref name="hashes"/> meanwhile,
    /// reports that as UnknownSnapshot with the retention reason instead of a failure.
    /// </summary>
    private async Task<T> RetentionChecked<T>(IWorkspaceGrain workspace, Func<Task<T>> call, params (string Hash, string Argument)[] hashes)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not SnapshotRequestException || ((SnapshotRequestException)e).Error == RequestError.UnknownSnapshot)
        {
            await SyncRetention(workspace);
            await WriteIfChanged();
            foreach (var (hash, argument) in hashes)
            {
                if (hash.Length > 0 && !state.State.Snapshots.Exists(s => s.Hash == hash) && ExpiredReason(hash) is { } reason)
                {
                    throw new SnapshotRequestException(RequestError.UnknownSnapshot, RemovedMessage(argument, hash, reason));
                }
            }
            throw;
        }
    }

    private DropReason? ExpiredReason(string hash) => state.State.Expired.Find(e => e.Hash == hash)?.Reason;

    private string RemovedMessage(string argument, string hash, DropReason reason)
    {
        var r = options.Value.Retention;
        var why = reason switch
        {
            DropReason.Expired => string.Create(CultureInfo.InvariantCulture,
                $"it was older than Snapshots:Retention:KeepYoungerThan ({r.KeepYoungerThan}) and not among the last Snapshots:Retention:KeepLast ({r.KeepLast}) snapshots of its session"),
            DropReason.MaxBytes => string.Create(CultureInfo.InvariantCulture,
                $"the workspace's store was over Snapshots:Retention:MaxBytes ({r.MaxBytes} bytes) and it was among the oldest snapshots"),
            DropReason.MaxSnapshots => string.Create(CultureInfo.InvariantCulture,
                $"the workspace held more than Snapshots:Retention:MaxSnapshots ({r.MaxSnapshots}) snapshots and it was among the oldest"),
            _ => "every session that recorded it was deleted",
        };
        return $"{argument} {hash} was removed by retention: {why}. Run 'history --session {SessionId}' to list the snapshots kept.";
    }

    private string RequireBound(string verb)
    {
        RequestChecks.CheckSessionId(SessionId);
        return state.State.WorkspaceId ?? throw new SnapshotRequestException(RequestError.UnknownSession,
            $"Session '{SessionId}' is not bound to a workspace yet, and {verb} needs one: run 'track --session {SessionId} --dir DIR' first.");
    }

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
        RequestChecks.CheckSessionId(SessionId);
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
            if (ExpiredReason(parsed) is { } reason)
            {
                throw new SnapshotRequestException(RequestError.UnknownSnapshot, RemovedMessage(argumentName, parsed, reason));
            }
            throw new SnapshotRequestException(RequestError.UnknownSnapshot,
                string.Create(CultureInfo.InvariantCulture,
                    $"{argumentName} {parsed} is not a snapshot of session '{SessionId}': run 'history --session {SessionId}' to list its snapshots."));
        }
        return parsed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} deleted (workspace {WorkspaceId}, {Released} snapshots released)")]
    private partial void LogDeleted(string sessionId, string? workspaceId, int released);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: {Count} snapshots removed by retention")]
    private partial void LogPruned(string sessionId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} tracked {Hash}: {Files} files, {Skipped} skipped")]
    private partial void LogTracked(string sessionId, string hash, int files, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} {Verb} to {To} (safety {Safety}): {Written} written, {Deleted} deleted")]
    private partial void LogRestored(string sessionId, string verb, string to, string safety, int written, int deleted);
}
