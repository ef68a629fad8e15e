using System.Buffers.Binary;
using System.IO.Compression;
using AgentSnapshots.Engine.Objects.Backends;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// One pack (<c>pack-*.pack</c>) with its index: a 12-byte header ("PACK", version, object count), the entries, and
/// the SHA-1 of everything before it. Immutable once written, so one instance serves every reader of the process.
/// </summary>
internal sealed class PackFile
{
    public const int HeaderBytes = 12;
    public const int TrailerBytes = GitObjectId.ByteLength;

    /// <summary>A complete cached pack up to this size is hashed whole when opened (see <see cref="Open"/>).</summary>
    public const int VerifiedCachedBytes = 1 << 20;

    private PackFile(string packPath, PackIndex index, long length, DateTime lastWriteTimeUtc, SparsePack? sparse)
    {
        Sparse = sparse;
        PackPath = packPath;
        Index = index;
        Length = length;
        LastWriteTimeUtc = lastWriteTimeUtc;
    }

    public string PackPath { get; }

    /// <summary>The file name without extension (<c>pack-&lt;hash&gt;</c>): every file of the pack starts with it.</summary>
    public string Name => Path.GetFileNameWithoutExtension(PackPath);

    public PackIndex Index { get; }

    /// <summary>The pack file's length in bytes.</summary>
    public long Length { get; }

    public DateTime LastWriteTimeUtc { get; }

    /// <summary>Set for a pack of a backed store cached here: its ranges are fetched on first read.</summary>
    public SparsePack? Sparse { get; }

    /// <summary>Where the entries end (the trailer follows).</summary>
    public long EntriesEnd => Length - TrailerBytes;

    /// <summary>
    /// Opens the pack beside the index at <paramref name="indexPath"/> and checks that the two belong together (object
    /// count, and the pack's trailing checksum as the index records it). Throws <see cref="FileNotFoundException"/>
    /// if the pack file is gone, <see cref="InvalidDataException"/> if either is damaged.
    /// </summary>
    public static PackFile Open(string indexPath, BackedStore? backed = null)
    {
        var packPath = Path.ChangeExtension(indexPath, ".pack");
        var info = new FileInfo(packPath);
        if (!info.Exists) throw new FileNotFoundException($"The pack {packPath} is gone.", packPath);
        var index = PackIndex.Open(indexPath);
        try
        {
            var length = info.Length;
            if (length < HeaderBytes + TrailerBytes)
            {
                throw new InvalidDataException($"The pack {packPath} is truncated ({length} bytes).");
            }
            var sparse = SparsePack.TryOpen(packPath, length, backed);
            using var handle = OpenHandle(packPath, sparse);
            sparse?.Ensure(handle, 0, HeaderBytes);
            sparse?.Ensure(handle, length - TrailerBytes, TrailerBytes);
            Span<byte> header = stackalloc byte[HeaderBytes];
            Span<byte> trailer = stackalloc byte[TrailerBytes];
            ReadExactly(handle, header, 0, packPath);
            ReadExactly(handle, trailer, length - TrailerBytes, packPath);
            var version = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
            if (!header[..4].SequenceEqual("PACK"u8) || version is not (2 or 3))
            {
                throw new InvalidDataException($"{packPath} is not a version 2 or 3 pack.");
            }
            var count = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
            if (count != (uint)index.Count)
            {
                throw new InvalidDataException($"The pack {packPath} holds {count} objects but its index lists {index.Count}.");
            }
            if (!trailer.SequenceEqual(index.PackChecksum()))
            {
                throw new InvalidDataException($"The pack {packPath} does not match its index (checksums differ).");
            }
            // A backed store's small packs are cached without a sync (LoosePack): one torn by a crash of the machine
            // is caught here, before any object is read from it.
            if (sparse is { IsComplete: true } && length <= VerifiedCachedBytes && !TrailingChecksum.Matches(handle, length - TrailerBytes, trailer))
            {
                throw new InvalidDataException($"The cached pack {packPath} does not hash to its checksum (torn by a crash before it reached the disk).");
            }
            return new PackFile(packPath, index, length, info.LastWriteTimeUtc, sparse);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    public PackEntryHeader ReadHeader(long offset)
    {
        if (offset < HeaderBytes || offset >= EntriesEnd)
        {
            throw new InvalidDataException($"Offset {offset} is outside the entries of the pack {PackPath}.");
        }
        Span<byte> bytes = stackalloc byte[PackEntryHeader.MaxLength];
        using var handle = OpenHandle();
        var count = (int)Math.Min(bytes.Length, EntriesEnd - offset);
        Sparse?.Ensure(handle, offset, count);
        var n = RandomAccess.Read(handle, bytes[..count], offset);
        return PackEntryHeader.Parse(bytes[..n], offset);
    }

    /// <summary>The raw bytes of the pack from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public Stream OpenRegion(long start, long end) => new PackRegionStream(this, start, end);

    /// <summary>A handle of the pack's own for positional reads (read-write for a cached pack: fetched ranges are written through it).</summary>
    public SafeFileHandle OpenHandle() => OpenHandle(PackPath, Sparse);

    private static SafeFileHandle OpenHandle(string packPath, SparsePack? sparse) =>
        File.OpenHandle(packPath, FileMode.Open, sparse is null ? FileAccess.Read : FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>An entry's data (after its header at <paramref name="dataOffset"/>), inflated as it is read.</summary>
    public Stream OpenInflated(long dataOffset) =>
        new ZLibStream(OpenRegion(dataOffset, EntriesEnd), CompressionMode.Decompress, leaveOpen: false);

    private static void ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> destination, long offset, string path)
    {
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, offset);
            if (n == 0) throw new InvalidDataException($"The pack {path} is truncated.");
            offset += n;
            destination = destination[n..];
        }
    }
}
