using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// A pack index, version 2 (<c>pack-*.idx</c>): object ids in sorted order behind a 256-entry fan-out table, each
/// with its CRC-32 and its offset in the pack (31 bits, or an index into a table of 64-bit offsets). The file is
/// memory-mapped and read in place, so a lookup costs a binary search over the pages it touches, whatever the
/// number of objects; the mapping keeps no file descriptor open. An index of up to <see cref="ReadWholeBytes"/> (a
/// track's pack of a few objects: about a kilobyte) is read into memory instead: a silo holding the packs of 10,000
/// stores would otherwise hold as many mappings, beside a descriptor each before, and ran out of both.
/// </summary>
internal sealed unsafe class PackIndex : IDisposable
{
    private const int HeaderBytes = 8;
    private const int FanoutBytes = 256 * 4;
    private const int TrailerBytes = 2 * GitObjectId.ByteLength;

    /// <summary>Indexes up to this size are read whole (no mapping); larger ones are mapped.</summary>
    internal const int ReadWholeBytes = 256 * 1024;

    /// <summary>The whole index, for one read into memory; null when it is mapped.</summary>
    private readonly byte[]? _bytes;

    /// <summary>The mapping of a larger index; null when it is read whole.</summary>
    private readonly MemoryMappedViewAccessor? _view;
    private readonly long _idsAt;
    private readonly long _crcsAt;
    private readonly long _offsetsAt;
    private readonly long _largeOffsetsAt;
    private readonly long _largeOffsetCount;

    private PackIndex(string path, byte[]? bytes, MemoryMappedViewAccessor? view, long length)
    {
        Path = path;
        _bytes = bytes;
        _view = view;
        Length = length;
        Count = checked((int)ReadUInt32(HeaderBytes + 255 * 4));
        _idsAt = HeaderBytes + FanoutBytes;
        _crcsAt = _idsAt + (long)Count * GitObjectId.ByteLength;
        _offsetsAt = _crcsAt + (long)Count * 4;
        _largeOffsetsAt = _offsetsAt + (long)Count * 4;
        _largeOffsetCount = (length - TrailerBytes - _largeOffsetsAt) / 8;
    }

    public string Path { get; }

    /// <summary>The index file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Objects in the pack.</summary>
    public int Count { get; }

    /// <summary>
    /// The length of the index of a pack of <paramref name="objects"/> objects whose entries end before
    /// <paramref name="entriesEnd"/>: exact below 2 GiB (no large offsets); beyond, an upper bound (as if every object
    /// needed one), which errs towards syncing.
    /// </summary>
    internal static long LengthOf(int objects, long entriesEnd) =>
        HeaderBytes + FanoutBytes + (objects * (GitObjectId.ByteLength + 8L)) + (entriesEnd > int.MaxValue ? objects * 8L : 0) + TrailerBytes;

    /// <summary>Opens and checks the layout of the index at <paramref name="path"/>; throws <see cref="InvalidDataException"/> if it is not a v2 index.</summary>
    public static PackIndex Open(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        var length = file.Length;
        if (length < HeaderBytes + FanoutBytes + TrailerBytes)
        {
            throw new InvalidDataException($"The pack index {path} is truncated ({length} bytes).");
        }
        if (length <= ReadWholeBytes)
        {
            var bytes = new byte[length];
            file.ReadExactly(bytes);
            // An index's last 20 bytes are the SHA-1 of the rest: cheap to check at this size, and it catches one
            // torn by a crash (a backed store's small packs are cached without a sync).
            if (!TrailingChecksum.Matches(bytes.AsSpan(0, (int)length - GitObjectId.ByteLength), bytes.AsSpan((int)length - GitObjectId.ByteLength)))
            {
                throw new InvalidDataException($"The pack index {path} does not hash to its checksum.");
            }
            var whole = new PackIndex(path, bytes, null, length);
            whole.Validate();
            return whole;
        }
        // The view keeps the mapping; the map object (and the descriptor it holds) is not needed once it exists.
        MemoryMappedViewAccessor? view = null;
        try
        {
            using (var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true))
            {
                view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            }
            var index = new PackIndex(path, null, view, length);
            index.Validate();
            return index;
        }
        catch
        {
            view?.Dispose();
            throw;
        }
    }

    private void Validate()
    {
        if (ReadUInt32(0) != 0xff744f63)
        {
            throw new InvalidDataException($"{Path} is not a pack index (version 1 indexes are not read; 'git index-pack' rewrites one as version 2).");
        }
        if (ReadUInt32(4) != 2)
        {
            throw new InvalidDataException($"The pack index {Path} has version {ReadUInt32(4)}; only version 2 is read.");
        }
        uint previous = 0;
        for (var i = 0; i < 256; i++)
        {
            var n = ReadUInt32(HeaderBytes + i * 4);
            if (n < previous)
            {
                throw new InvalidDataException($"The pack index {Path} has a fan-out table that goes down at {i}.");
            }
            previous = n;
        }
        if (_largeOffsetsAt + TrailerBytes > Length || (Length - TrailerBytes - _largeOffsetsAt) % 8 != 0)
        {
            throw new InvalidDataException($"The pack index {Path} has {Length} bytes, which does not fit {Count} objects.");
        }
    }

    /// <summary>The pack's own trailing checksum, as the index records it.</summary>
    public byte[] PackChecksum()
    {
        var bytes = new byte[GitObjectId.ByteLength];
        Read(Length - TrailerBytes, bytes);
        return bytes;
    }

    /// <summary>The position of <paramref name="id"/> in the index, or -1.</summary>
    public int Find(GitObjectId id)
    {
        Span<byte> key = stackalloc byte[GitObjectId.ByteLength];
        id.WriteTo(key);
        int lo = key[0] == 0 ? 0 : (int)ReadUInt32(HeaderBytes + (key[0] - 1) * 4);
        int hi = (int)ReadUInt32(HeaderBytes + key[0] * 4);
        if (_bytes is not null)
        {
            return Search(_bytes.AsSpan(checked((int)_idsAt)), key, lo, hi);
        }
        byte* pointer = null;
        _view!.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            return Search(new ReadOnlySpan<byte>(pointer + _view.PointerOffset + _idsAt, checked((int)(hi * (long)GitObjectId.ByteLength))), key, lo, hi);
        }
        finally
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>Binary search of <paramref name="key"/> among ids <paramref name="lo"/> (inclusive) to <paramref name="hi"/> of <paramref name="ids"/>.</summary>
    private static int Search(ReadOnlySpan<byte> ids, ReadOnlySpan<byte> key, int lo, int hi)
    {
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var c = ids.Slice(mid * GitObjectId.ByteLength, GitObjectId.ByteLength).SequenceCompareTo(key);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        return -1;
    }

    public GitObjectId IdAt(int position)
    {
        Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
        Read(_idsAt + (long)CheckPosition(position) * GitObjectId.ByteLength, raw);
        return new GitObjectId(raw);
    }

    public uint CrcAt(int position) => ReadUInt32(_crcsAt + (long)CheckPosition(position) * 4);

    public long OffsetAt(int position)
    {
        var small = ReadUInt32(_offsetsAt + (long)CheckPosition(position) * 4);
        if ((small & 0x80000000) == 0) return small;
        var large = small & 0x7fffffff;
        if (large >= _largeOffsetCount)
        {
            throw new InvalidDataException($"The pack index {Path} names large offset {large} of {_largeOffsetCount}.");
        }
        Span<byte> raw = stackalloc byte[8];
        Read(_largeOffsetsAt + large * 8, raw);
        return checked((long)BinaryPrimitives.ReadUInt64BigEndian(raw));
    }

    private int CheckPosition(int position) =>
        (uint)position < (uint)Count ? position : throw new ArgumentOutOfRangeException(nameof(position));

    private uint ReadUInt32(long at)
    {
        Span<byte> raw = stackalloc byte[4];
        Read(at, raw);
        return BinaryPrimitives.ReadUInt32BigEndian(raw);
    }

    private void Read(long at, Span<byte> destination)
    {
        if (_bytes is not null)
        {
            _bytes.AsSpan(checked((int)at), destination.Length).CopyTo(destination);
            return;
        }
        byte* pointer = null;
        _view!.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            new ReadOnlySpan<byte>(pointer + _view.PointerOffset + at, destination.Length).CopyTo(destination);
        }
        finally
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    public void Dispose() => _view?.Dispose();
}
