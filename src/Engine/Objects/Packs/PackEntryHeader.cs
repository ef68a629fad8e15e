namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// The header of one pack entry: its 3-bit type and the inflated size of its data (a little-endian base-128 number
/// after the type bits), then for an <c>OFS_DELTA</c> the distance back to its base (git's offset encoding) and for a
/// <c>REF_DELTA</c> its base's id. The entry's zlib data follows at <see cref="Length"/> bytes from its start.
/// </summary>
internal readonly record struct PackEntryHeader(int TypeCode, long Size, int Length, long BaseOffset, GitObjectId BaseId)
{
    public const int OfsDelta = 6;
    public const int RefDelta = 7;

    /// <summary>Enough bytes for any header: a 64-bit size, then a 64-bit offset or a 20-byte id.</summary>
    public const int MaxLength = 10 + GitObjectId.ByteLength + 2;

    public bool IsDelta => TypeCode is OfsDelta or RefDelta;

    /// <summary>Reads the header of the entry at <paramref name="entryOffset"/> from its first bytes.</summary>
    public static PackEntryHeader Parse(ReadOnlySpan<byte> bytes, long entryOffset)
    {
        var used = 0;
        var c = Next(bytes, ref used);
        var type = (c >> 4) & 7;
        long size = c & 15;
        var shift = 4;
        while ((c & 0x80) != 0)
        {
            if (shift > 56) throw new InvalidDataException($"The pack entry at {entryOffset} has an oversized size field.");
            c = Next(bytes, ref used);
            size |= (long)(c & 0x7f) << shift;
            shift += 7;
        }
        switch (type)
        {
            case OfsDelta:
            {
                c = Next(bytes, ref used);
                long distance = c & 0x7f;
                while ((c & 0x80) != 0)
                {
                    if (distance >= 1L << 55) throw new InvalidDataException($"The pack entry at {entryOffset} has an oversized base offset.");
                    c = Next(bytes, ref used);
                    distance = ((distance + 1) << 7) | (long)(c & 0x7f);
                }
                if (distance <= 0 || distance > entryOffset)
                {
                    throw new InvalidDataException($"The delta at {entryOffset} names a base {distance} bytes back, outside the pack.");
                }
                return new PackEntryHeader(type, size, used, entryOffset - distance, default);
            }
            case RefDelta:
                if (bytes.Length < used + GitObjectId.ByteLength) throw Truncated(entryOffset);
                return new PackEntryHeader(type, size, used + GitObjectId.ByteLength, 0, new GitObjectId(bytes.Slice(used, GitObjectId.ByteLength)));
            case 1 or 2 or 3 or 4:
                return new PackEntryHeader(type, size, used, 0, default);
            default:
                throw new InvalidDataException($"The pack entry at {entryOffset} has the unknown type {type}.");
        }
    }

    /// <summary>Writes the type-and-size part of a header; returns its length.</summary>
    public static int WriteTypeAndSize(Span<byte> destination, int typeCode, long size)
    {
        var n = 0;
        var c = (byte)((typeCode << 4) | (int)(size & 15));
        size >>= 4;
        while (size != 0)
        {
            destination[n++] = (byte)(c | 0x80);
            c = (byte)(size & 0x7f);
            size >>= 7;
        }
        destination[n++] = c;
        return n;
    }

    /// <summary>Writes the distance back to an <c>OFS_DELTA</c>'s base in git's encoding; returns its length.</summary>
    public static int WriteBaseDistance(Span<byte> destination, long distance)
    {
        Span<byte> reversed = stackalloc byte[10];
        var pos = reversed.Length - 1;
        reversed[pos] = (byte)(distance & 0x7f);
        while ((distance >>= 7) != 0)
        {
            distance--;
            reversed[--pos] = (byte)(0x80 | (distance & 0x7f));
        }
        var length = reversed.Length - pos;
        reversed[pos..].CopyTo(destination);
        return length;
    }

    private static byte Next(ReadOnlySpan<byte> bytes, ref int used)
    {
        if (used >= bytes.Length) throw Truncated(-1);
        return bytes[used++];
    }

    private static InvalidDataException Truncated(long entryOffset) =>
        new(entryOffset >= 0 ? $"The pack entry header at {entryOffset} is cut short." : "A pack entry header is cut short.");
}
