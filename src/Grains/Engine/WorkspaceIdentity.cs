using System.Security.Cryptography;
using System.Text;

namespace AgentSnapshots.Engine;

/// <summary>Turns client-supplied directories and ids into checked, canonical ones, or refuses them clearly.</summary>
public static class WorkspaceIdentity
{
    /// <summary>The workspace id of a canonical directory: stable, short, safe as a file name and grain key.</summary>
    public static string IdFor(string canonicalDirectory)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonicalDirectory));
        return "ws-" + Convert.ToHexStringLower(digest.AsSpan(0, 12));
    }

    /// <summary>
    /// Resolves <paramref name="directory"/> (absolute, or relative to the caller's current directory before it reaches us)
    /// to its canonical path with symlinks resolved, and checks that it is an existing directory under one of
    /// <paramref name="roots"/>. Throws <see cref="SnapshotRequestException"/> otherwise.
    /// </summary>
    public static string ResolveDirectory(string directory, IReadOnlyList<string> roots) => throw new NotImplementedException();

    /// <summary>Checks a snapshot hash argument and parses it; throws <see cref="SnapshotRequestException"/> (MalformedId) otherwise.</summary>
    public static GitObjectId ParseHash(string? hash, string argumentName)
    {
        if (!GitObjectId.TryParse(hash?.Trim().ToLowerInvariant(), out var id))
        {
            throw new SnapshotRequestException(RequestError.MalformedId,
                $"{argumentName} '{hash}' is not a snapshot hash: expected 40 hexadecimal digits, as printed by 'track' or 'history'.");
        }
        return id;
    }
}
