using System.Text.RegularExpressions;

namespace AgentSnapshots;

/// <summary>
/// The accepted form of client-chosen session ids, so a client can check one before it calls, and of the grain keys
/// the service makes of them: the id itself, or <c>&lt;tenant&gt;@&lt;id&gt;</c> for a session of an HTTP API tenant.
/// A client id cannot contain '@', so no id one client chooses can name another tenant's session (and no key is
/// path-like: '/' stays refused).
/// </summary>
public static partial class SessionIds
{
    public const int MaxLength = 128;

    /// <summary>The longest tenant name (<c>Auth:Tenants:&lt;name&gt;</c>).</summary>
    public const int MaxTenantLength = 64;

    /// <summary>Separates the tenant from the session id in a tenant's grain keys.</summary>
    public const char TenantSeparator = '@';

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex SessionIdPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex TenantPattern();

    public static bool IsValidSessionId(string? id) => id is not null && SessionIdPattern().IsMatch(id);

    /// <summary>A tenant name as grain keys hold it: 1 to 64 lowercase letters, digits, _ and -, starting with a letter or digit.</summary>
    public static bool IsValidTenant(string? tenant) => tenant is not null && TenantPattern().IsMatch(tenant);

    /// <summary>The grain key of session <paramref name="id"/> of <paramref name="tenant"/> (both already checked).</summary>
    public static string ForTenant(string tenant, string id) => tenant + TenantSeparator + id;

    /// <summary>The tenant of session grain key <paramref name="key"/>, or null for a key without one.</summary>
    public static string? TenantOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var separator = key.IndexOf(TenantSeparator, StringComparison.Ordinal);
        return separator < 0 ? null : key[..separator];
    }

    /// <summary>The session's name in grain key <paramref name="key"/>: the id its caller chose, without the tenant.</summary>
    public static string NameOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key[(key.IndexOf(TenantSeparator, StringComparison.Ordinal) + 1)..];
    }

    /// <summary>A session grain key: a client id, or a tenant's key made by <see cref="ForTenant"/>.</summary>
    public static bool IsValidSessionKey(string? key)
    {
        if (key is null)
        {
            return false;
        }
        var separator = key.IndexOf(TenantSeparator, StringComparison.Ordinal);
        return separator < 0
            ? IsValidSessionId(key)
            : IsValidTenant(key[..separator]) && IsValidSessionId(key[(separator + 1)..]);
    }
}
