namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// Git's delta encoding: the base's size and the result's size as little-endian base-128 numbers, then instructions.
/// A byte with its top bit set copies from the base (bits 0-3 say which of 4 offset bytes follow, bits 4-6 which of 3
/// size bytes; a size of 0 means 0x10000); a byte of 1-127 inserts that many literal bytes that follow; 0 is reserved.
/// </summary>
internal static class DeltaFormat
{
    /// <summary>The longest literal run one insert instruction carries.</summary>
    public const int MaxInsert = 127;

    /// <summary>The longest copy one instruction writes here (git's own encoder uses the same, though 24 bits would fit).</summary>
    public const int MaxCopy = 0x10000;

    /// <summary>The largest base offset a copy can name (32 bits).</summary>
    public const long MaxCopyOffset = uint.MaxValue;

    /// <summary>Reads one size of the delta header from <paramref name="stream"/>.</summary>
    public static long ReadSize(Stream stream)
    {
        long value = 0;
        var shift = 0;
        while (true)
        {
            var c = stream.ReadByte();
            if (c < 0) throw new InvalidDataException("The delta ends inside its header.");
            if (shift > 56) throw new InvalidDataException("The delta header holds an oversized size.");
            value |= (long)(c & 0x7f) << shift;
            shift += 7;
            if ((c & 0x80) == 0) return value;
        }
    }

    public static int WriteSize(Span<byte> destination, long value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[n++] = (byte)value;
        return n;
    }

    /// <summary>Writes one copy instruction (<paramref name="size"/> at most <see cref="MaxCopy"/>); returns its length.</summary>
    public static int WriteCopy(Span<byte> destination, long offset, int size)
    {
        var n = 1;
        var cmd = 0x80;
        for (var i = 0; i < 4; i++)
        {
            var b = (byte)(offset >> (8 * i));
            if (b != 0)
            {
                cmd |= 1 << i;
                destination[n++] = b;
            }
        }
        var encoded = size == MaxCopy ? 0 : size;
        for (var i = 0; i < 3; i++)
        {
            var b = (byte)(encoded >> (8 * i));
            if (b != 0)
            {
                cmd |= 0x10 << i;
                destination[n++] = b;
            }
        }
        destination[0] = (byte)cmd;
        return n;
    }
}
