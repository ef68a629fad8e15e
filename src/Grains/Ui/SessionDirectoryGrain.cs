namespace AgentSnapshots;

/// <summary>
/// Keeps a tenant's session names and last activity (stored within <see cref="WrittenWithin"/> of a change: one write
/// per burst of tracks, not one per track) and wakes the timelines waiting on a session when it changes.
/// </summary>
internal sealed class SessionDirectoryGrain(
    [PersistentState("sessions", SnapshotsStorage.Name)] IPersistentState<SessionDirectoryState> state) : Grain, ISessionDirectoryGrain
{
    private static readonly TimeSpan WrittenWithin = TimeSpan.FromSeconds(5);

    /// <summary>Versions start from the activation's clock, so a version seen before a reactivation is not mistaken for a current one.</summary>
    private readonly long _base = DateTimeOffset.UtcNow.UtcTicks;
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IGrainTimer? _write;

    public Task TouchedAsync(string session, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(session);
        state.State.Sessions[session] = time;
        Changed(session);
        return Task.CompletedTask;
    }

    public Task RemovedAsync(string session)
    {
        ArgumentNullException.ThrowIfNull(session);
        state.State.Sessions.Remove(session);
        Changed(session);
        return Task.CompletedTask;
    }

    public Task<SessionDirectoryPage> ListAsync(int skip, int take)
    {
        var sessions = state.State.Sessions
            .OrderByDescending(s => s.Value)
            .ThenBy(s => s.Key, StringComparer.Ordinal)
            .Skip(Math.Max(0, skip))
            .Take(Math.Clamp(take, 0, 1000))
            .Select(s => new SessionActivity(s.Key, s.Value))
            .ToList();
        return Task.FromResult(new SessionDirectoryPage(sessions, state.State.Sessions.Count));
    }

    public async Task<long> WaitForChangeAsync(string session, long seen, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(session);
        var deadline = Task.Delay(timeout);
        while (Version(session) == seen)
        {
            if (await Task.WhenAny(_changed.Task, deadline) == deadline)
            {
                break;
            }
        }
        return Version(session);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_write is not null) await state.WriteStateAsync(cancellationToken);
    }

    private long Version(string session) => _base + _versions.GetValueOrDefault(session);

    private void Changed(string session)
    {
        _versions[session] = _versions.GetValueOrDefault(session) + 1;
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
        _write ??= this.RegisterGrainTimer(async ct =>
        {
            _write?.Dispose();
            _write = null;
            await state.WriteStateAsync(ct);
        }, WrittenWithin, Timeout.InfiniteTimeSpan);
    }
}
