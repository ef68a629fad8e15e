using AgentSnapshots.Engine;
using AgentSnapshots.Silo.Auth;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// A session as one API request names it: the caller's name for it, and the grain it is. With tenants, the grain key
/// is <c>&lt;tenant&gt;@&lt;name&gt;</c>, so the same name in two tenants is two sessions and no name reaches another
/// tenant's session (it answers 404 like any session never tracked); without tenants it is the name itself, the
/// session the CLI and SDK see under that name.
/// </summary>
internal sealed class SessionAddress
{
    private SessionAddress(string name, string key, Tenant? tenant, ISessionGrain grain)
    {
        Name = name;
        Key = key;
        Tenant = tenant;
        Grain = grain;
    }

    public string Name { get; }

    public string Key { get; }

    public Tenant? Tenant { get; }

    public ISessionGrain Grain { get; }

    /// <summary>Checks the session name and addresses the caller's session of that name.</summary>
    public static SessionAddress For(HttpContext http, string session, TenantDirectory tenants, IGrainFactory grains)
    {
        if (!SessionIds.IsValidSessionId(session))
        {
            throw new ApiProblemException(ProblemCode.For(RequestError.MalformedId),
                $"Session name '{MessageText.Shown(session)}' in the path is not accepted: use 1 to {SessionIds.MaxLength} characters from letters, digits and . _ : -");
        }
        var tenant = http.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value is { } name ? tenants.Named(name) : null;
        var key = tenant is null ? session : SessionIds.ForTenant(tenant.Name, session);
        var address = new SessionAddress(session, key, tenant, grains.GetGrain<ISessionGrain>(key));
        // Errors of this request then speak of the session by the caller's name.
        http.Items[typeof(SessionAddress)] = address;
        return address;
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

    /// <summary>A message of the session grain with the grain key shown as the caller's name for the session.</summary>
    public string Shown(string message) =>
        Tenant is null ? message : message.Replace(Key, Name, StringComparison.Ordinal);

    /// <summary>
    /// With a tenant: refuses (403) a directory outside the tenant's roots before the session is called; with
    /// <paramref name="directory"/> null, the session's bound directory (its roots may have changed since it was bound).
    /// Directories that are not absolute or do not exist are left to the session, which says so.
    /// </summary>
    public async Task CheckWithinRootsAsync(string? directory, CancellationToken ct)
    {
        if (Tenant is null)
        {
            return;
        }
        directory ??= (await CallAsync((g, c) => g.History(c), ct)).Workspace;
        if (directory is null || !Path.IsPathFullyQualified(directory) || WorkspaceIdentity.RealPath(directory) is not { } canonical)
        {
            return;
        }
        if (!Tenant.Covers(canonical))
        {
            throw new ApiProblemException(ProblemCode.For(RequestError.OutsideWorkspaceRoots),
                $"Workspace directory '{MessageText.Shown(canonical)}' is outside the workspace roots of tenant '{Tenant.Name}' ({string.Join(", ", Tenant.WorkspaceRoots)}): use a directory under one of them.");
        }
    }

    /// <summary>The SDK's revert paths: absolute ones inside the session's workspace become relative to it.</summary>
    public async Task<IReadOnlyList<string>> WorkspaceRelativeAsync(IReadOnlyList<string> files, CancellationToken ct)
    {
        if (!files.Any(Path.IsPathRooted))
        {
            return files;
        }
        var workspace = (await CallAsync((g, c) => g.History(c), ct)).Workspace;
        return workspace is null ? files : [.. files.Select(f => SessionPaths.RelativeToWorkspace(workspace, f))];
    }
}
