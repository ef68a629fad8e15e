using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo.Auth;

/// <summary>The configured tenants, and which one a presented key belongs to.</summary>
public sealed class TenantDirectory
{
    private readonly IReadOnlyList<Tenant> _tenants;

    public TenantDirectory(IOptions<AuthSettings> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // The settings were validated at start (AuthSettingsValidator): names and hashes are well formed.
        _tenants = [.. settings.Value.Tenants
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new Tenant(t.Key.ToLowerInvariant(), Convert.FromHexString(t.Value.KeySha256!)))];
    }

    /// <summary>Tenants are configured: every API request needs a key, and sees only its tenant's sessions.</summary>
    public bool Enabled => _tenants.Count > 0;

    public Tenant? Named(string name) => _tenants.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// The tenant whose key hash equals the SHA-256 of <paramref name="key"/>, or null. Every tenant's hash is compared
    /// in constant time, whichever matches, so the time taken says nothing about the key.
    /// </summary>
    public Tenant? FindByKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), presented);
        Tenant? found = null;
        foreach (var tenant in _tenants)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, tenant.KeySha256))
            {
                found = tenant;
            }
        }
        return found;
    }
}
