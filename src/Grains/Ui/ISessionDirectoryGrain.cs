using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>
/// The sessions of one tenant (key: <see cref="SessionDirectory.KeyOf"/> of a session grain key), as the web UI lists
/// them, and a change signal per session for its live timeline. Kept up to date by <see cref="SessionActivityFilter"/>
/// from the session grains' own calls, so no session verb changes for it.
/// </summary>
public interface ISessionDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Session <paramref name="session"/> (its name, without the tenant) changed at <paramref name="time"/>.</summary>
    [OneWay]
    Task TouchedAsync(string session, DateTimeOffset time);

    /// <summary>Session <paramref name="session"/> was deleted.</summary>
    [OneWay]
    Task RemovedAsync(string session);

    /// <summary>The sessions, most recently active first: <paramref name="take"/> of them after the first <paramref name="skip"/>.</summary>
    Task<SessionDirectoryPage> ListAsync(int skip, int take);

    /// <summary>
    /// The session's change version as soon as it differs from <paramref name="seen"/>, or after
    /// <paramref name="timeout"/> (then it may equal it). Many callers wait at once.
    /// </summary>
    [AlwaysInterleave]
    Task<long> WaitForChangeAsync(string session, long seen, TimeSpan timeout);
}

/// <summary>One page of a tenant's sessions and how many it has.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionDirectoryPage(
    [property: Id(0)] IReadOnlyList<SessionActivity> Sessions,
    [property: Id(1)] int Total);

/// <summary>A session's name and when it last changed.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionActivity(
    [property: Id(0)] string Session,
    [property: Id(1)] DateTimeOffset LastActivity);
