namespace AgentSnapshots;

/// <summary>
/// Keeps a tenant's session (key <c>tenant@name</c>) to workspaces under the tenant's roots
/// (<see cref="TenantWorkspaceRoots"/>); a session without a tenant passes. Its own class so the session grain keeps
/// only its verbs. Refusals name the session as its caller does (the name, without the tenant).
/// </summary>
internal sealed class TenantRootsCheck(string sessionId, TenantWorkspaceRoots roots)
{
    /// <summary>
    /// <paramref name="canonical"/> (resolved from <paramref name="given"/>), or OutsideWorkspaceRoots if the session is
    /// a tenant's and it is not under the tenant's roots. Reads the file system: runs off the grain's thread.
    /// </summary>
    public string Within(string given, string canonical)
    {
        if (TenantNotCovering(canonical) is { } tenant)
        {
            throw SessionErrors.OutsideTenantRoots(tenant, given, roots.Of(tenant));
        }
        return canonical;
    }

    /// <summary>
    /// The bound directory, or OutsideWorkspaceRoots if the session is a tenant's and it is no longer under the tenant's
    /// roots (they changed since it was bound). A lexical check against the roots resolved now: the workspace grain
    /// refuses the directory if it no longer resolves to itself, so together nothing outside the roots is touched.
    /// Resolving the tenant's few roots is cheap enough for the grain's thread.
    /// </summary>
    public string BoundWithin(string bound)
    {
        // A remote workspace is the tenant's by its id: no directory of the silo is touched.
        if (WorkspaceNames.IsBinding(bound)) return bound;
        if (TenantNotCovering(bound) is { } tenant)
        {
            throw SessionErrors.BoundOutsideTenantRoots(SessionIds.NameOf(sessionId), tenant, bound, roots.Of(tenant));
        }
        return bound;
    }

    /// <summary>The session's tenant if it has one whose roots do not cover <paramref name="directory"/>; else null.</summary>
    private string? TenantNotCovering(string directory) =>
        SessionIds.TenantOf(sessionId) is { } tenant && !roots.Covers(tenant, directory) ? tenant : null;
}
