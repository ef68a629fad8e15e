using System.Security.Cryptography;
using System.Text;

namespace AgentSnapshots;

/// <summary>Makes web UI login tokens and the grain keys they are stored under (their hashes: a stored key is no token).</summary>
public static class LoginTokens
{
    /// <summary>A new token: 32 random bytes, base64url (43 characters, safe in a URL and a cookie).</summary>
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The key of <paramref name="token"/>'s grain: its kind and the lowercase hex SHA-256 of the token.</summary>
    public static string KeyFor(string kind, string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return kind + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }
}
