namespace AgentSnapshots;

/// <summary>Which <see cref="ISessionDirectoryGrain"/> lists a session.</summary>
public static class SessionDirectory
{
    /// <summary>The directory of sessions without a tenant (not a valid tenant name, so it is no tenant's).</summary>
    public const string NoTenant = "~";

    /// <summary>The directory key of a tenant (null: sessions without a tenant).</summary>
    public static string KeyFor(string? tenant) => tenant ?? NoTenant;

    /// <summary>The directory key of session grain key <paramref name="sessionKey"/>.</summary>
    public static string KeyOf(string sessionKey) => KeyFor(SessionIds.TenantOf(sessionKey));
}
