using System.Security.Cryptography;
using System.Text;

namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// The key every API request must carry when no tenants are configured: resolved once at start (by
/// <see cref="LocalKeySetup"/>) from <c>Auth:LocalKey</c> or the key file, and kept only as its SHA-256.
/// </summary>
public sealed class LocalKey
{
    /// <summary>The fewest characters a local key may have (a generated one has 43).</summary>
    public const int MinLength = 16;

    private byte[]? _sha256;

    /// <summary>Where the key came from, as the log and refusals name it (the setting, or the file's path).</summary>
    public string Source { get; private set; } = "";

    /// <summary>Why no key could be had (the silo then stops at start), or null.</summary>
    internal string? Failure { get; private set; }

    /// <summary>Tenants are configured: their keys are used, and no local key is needed.</summary>
    internal bool NotNeeded { get; private set; }

    internal void Use(string key, string source)
    {
        _sha256 = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        Source = source;
    }

    internal void Refuse(string failure) => Failure = failure;

    internal void Skip() => NotNeeded = true;

    /// <summary>Whether <paramref name="presented"/> is the key, compared by hash in constant time.</summary>
    public bool Matches(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        if (_sha256 is null)
        {
            return false;
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _sha256);
    }
}
