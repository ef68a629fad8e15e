using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// git's pack and index files end with the SHA-1 of everything before it: whether a file's content still hashes to it
/// (an integrity check of a copy written without a sync, not a security one).
/// </summary>
internal static class TrailingChecksum
{
    private const int ReadBytes = 64 * 1024;

    /// <summary>Whether <paramref name="content"/> hashes to <paramref name="checksum"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> content, ReadOnlySpan<byte> checksum)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(content);
        return Finish(sha, checksum);
    }

    /// <summary>Whether the first <paramref name="contentLength"/> bytes of <paramref name="file"/>, read in bounded pieces, hash to <paramref name="checksum"/>; false if the file is shorter.</summary>
    public static bool Matches(SafeFileHandle file, long contentLength, ReadOnlySpan<byte> checksum)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBytes);
        try
        {
            for (long offset = 0; offset < contentLength;)
            {
                var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, contentLength - offset)), offset);
                if (n == 0) return false;
                sha.AppendData(buffer, 0, n);
                offset += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Finish(sha, checksum);
    }

    private static bool Finish(IncrementalHash sha, ReadOnlySpan<byte> checksum)
    {
        Span<byte> digest = stackalloc byte[GitObjectId.ByteLength];
        sha.GetHashAndReset(digest);
        return digest.SequenceEqual(checksum);
    }
}
