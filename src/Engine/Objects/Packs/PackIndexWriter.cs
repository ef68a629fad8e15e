using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>One object of a pack as its index records it.</summary>
internal readonly record struct PackIndexEntry(GitObjectId Id, long Offset, uint Crc);

/// <summary>Writes a version 2 pack index (see <see cref="PackIndex"/>) for a pack's entries.</summary>
internal static class PackIndexWriter
{
    /// <summary>Writes (to a buffered stream) the index of <paramref name="entries"/> (sorted here by id) for the pack whose checksum is <paramref name="packChecksum"/>.</summary>
    public static void Write(Stream output, List<PackIndexEntry> entries, ReadOnlySpan<byte> packChecksum)
    {
        entries.Sort((x, y) => x.Id.CompareTo(y.Id));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var word = new byte[8];
        void Put(ReadOnlySpan<byte> bytes)
        {
            sha.AppendData(bytes);
            output.Write(bytes);
        }
        void PutUInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(word, value);
            Put(word.AsSpan(0, 4));
        }

        PutUInt32(0xff744f63);
        PutUInt32(2);
        var next = 0;
        for (var b = 0; b < 256; b++)
        {
            while (next < entries.Count && FirstByte(entries[next].Id) <= b) next++;
            PutUInt32((uint)next);
        }
        Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
        for (var i = 0; i < entries.Count; i++)
        {
            if (i > 0 && entries[i].Id == entries[i - 1].Id)
            {
                throw new InvalidOperationException($"A pack may not list {entries[i].Id} twice.");
            }
            entries[i].Id.WriteTo(raw);
            Put(raw);
        }
        foreach (var e in entries) PutUInt32(e.Crc);
        var large = new List<long>();
        foreach (var e in entries)
        {
            if (e.Offset < 0x80000000L)
            {
                PutUInt32((uint)e.Offset);
            }
            else
            {
                PutUInt32(0x80000000u | (uint)large.Count);
                large.Add(e.Offset);
            }
        }
        foreach (var offset in large)
        {
            BinaryPrimitives.WriteUInt64BigEndian(word, (ulong)offset);
            Put(word);
        }
        Put(packChecksum);
        output.Write(sha.GetHashAndReset());
        output.Flush();
    }

    private static int FirstByte(GitObjectId id)
    {
        Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
        id.WriteTo(raw);
        return raw[0];
    }
}
