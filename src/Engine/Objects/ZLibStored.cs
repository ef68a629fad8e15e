using System.Buffers.Binary;

namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// A zlib stream of one stored (uncompressed) deflate block, for loose objects small enough to fit one 4 KiB
/// file-system block: such a file takes that block compressed or not, and writing or reading it this way needs no
/// zlib state (a deflater sets up about 300 KiB of native memory per object, an inflater 40 KiB). git, and any zlib,
/// reads it like every other zlib stream; packing recompresses it.
/// </summary>
internal static class ZLibStored
{
    /// <summary>zlib header (2 bytes), stored block header (5), Adler-32 trailer (4).</summary>
    private const int Overhead = 11;

    /// <summary>The most bytes of content kept in one stored stream: the file then fits one 4 KiB block.</summary>
    public const int MaxContent = 4096 - Overhead;

    /// <summary>CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (no dictionary, level 0; the pair is a multiple of 31).</summary>
    private const byte Cmf = 0x78;
    private const byte Flg = 0x01;

    /// <summary>The stored stream of <paramref name="first"/> followed by <paramref name="second"/> (together at most <see cref="MaxContent"/> bytes).</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var length = first.Length + second.Length;
        if (length > MaxContent) throw new ArgumentOutOfRangeException(nameof(second), "too long for one stored block");
        var stream = new byte[length + Overhead];
        stream[0] = Cmf;
        stream[1] = Flg;
        stream[2] = 0x01; // BFINAL = 1, BTYPE = 00 (stored); the rest of the byte pads to the boundary
        BinaryPrimitives.WriteUInt16LittleEndian(stream.AsSpan(3), (ushort)length);
        BinaryPrimitives.WriteUInt16LittleEndian(stream.AsSpan(5), (ushort)~length);
        first.CopyTo(stream.AsSpan(7));
        second.CopyTo(stream.AsSpan(7 + first.Length));
        BinaryPrimitives.WriteUInt32BigEndian(stream.AsSpan(7 + length), Adler32(stream.AsSpan(7, length)));
        return stream;
    }

    /// <summary>
    /// The content of <paramref name="stream"/> if it is exactly one final stored block; false for anything else (a
    /// compressed stream, for the inflater).
    /// </summary>
    /// <exception cref="InvalidDataException">It is one stored block, but its checksum does not match its content.</exception>
    public static bool TryUnwrap(ArraySegment<byte> stream, out ArraySegment<byte> content)
    {
        content = default;
        var s = stream.AsSpan();
        if (s.Length < Overhead || s[0] != Cmf || ((s[0] << 8) | s[1]) % 31 != 0 || (s[1] & 0x20) != 0 || s[2] != 0x01) return false;
        var length = BinaryPrimitives.ReadUInt16LittleEndian(s[3..]);
        if (BinaryPrimitives.ReadUInt16LittleEndian(s[5..]) != (ushort)~length || s.Length != length + Overhead) return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(s[(7 + length)..]) != Adler32(s.Slice(7, length)))
        {
            // An inflater reading only the object's announced size would never reach the checksum: say it here.
            throw new InvalidDataException("its zlib checksum does not match its content");
        }
        content = stream.Slice(7, length);
        return true;
    }

    /// <summary>RFC 1950's Adler-32 (sums reduced every 5,552 bytes, the most that cannot overflow 32 bits).</summary>
    private static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint Modulus = 65521;
        uint a = 1, b = 0;
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(data.Length, 5552)];
            foreach (var x in chunk)
            {
                a += x;
                b += a;
            }
            a %= Modulus;
            b %= Modulus;
            data = data[chunk.Length..];
        }
        return (b << 16) | a;
    }
}
