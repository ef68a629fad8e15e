using AgentSnapshots.Silo.Auth;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// A session as one API request names it: the caller's name for it, and the grain it is. With tenants, the grain key
/// is <c>&lt;tenant&gt;@&lt;name&gt;</c>, so the same name in two tenants is two sessions and no name reaches another
/// tenant's session (it answers 404 like any session never tracked); without tenants it is the name itself, the
/// session the CLI and SDK see under that name. The session grain applies the tenant's rules (its workspace roots)
/// and names the session by the caller's name in its replies and refusals.
/// </summary>
internal sealed class SessionAddress
{
    private SessionAddress(ISessionGrain grain) => Grain = grain;

    public ISessionGrain Grain { get; }

    /// <summary>Checks the session name and addresses the caller's session of that name.</summary>
    public static SessionAddress For(HttpContext http, string session, TenantDirectory tenants, IGrainFactory grains)
    {
        var name = SessionName.Parse(session);
        var tenant = http.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value is { } tenantName ? tenants.Named(tenantName) : null;
        var key = tenant is null ? name.Value : SessionIds.ForTenant(tenant.Name, name.Value);
        return new SessionAddress(grains.GetGrain<ISessionGrain>(key));
    }

    /// <summary>
    /// Calls the session with the request's token: a client that goes cancels the call in the silo too (work not yet
    /// started is dropped; a snapshot or restore stops between files).
    /// </summary>
    public Task<T> CallAsync<T>(Func<ISessionGrain, CancellationToken, Task<T>> call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        ct.ThrowIfCancellationRequested();
        return call(Grain, ct);
    }
}
