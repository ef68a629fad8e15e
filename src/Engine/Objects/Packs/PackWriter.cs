using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Security.Cryptography;
using AgentSnapshots.Engine.SystemCalls;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>A pack that is in place: its name (<c>pack-&lt;checksum&gt;</c>) and files.</summary>
internal sealed record PackWritten(string Name, string PackPath, string IndexPath, int Objects, long PackBytes);

/// <summary>
/// Writes one standard pack (version 2) and its version 2 index, as <c>git verify-pack</c> and <c>git index-pack</c>
/// expect: whole objects are deflated here (zlib level 6, git's default), deltas and copied entries come as ready zlib
/// data. Everything goes to temporary files first; <see cref="Finish"/> syncs them, renames the pack and then the
/// index into place (git ignores a pack without its index) and syncs the directory. A crash at any point leaves either
/// no pack or a whole one, and temporary files the collector removes later. A pack written only to be uploaded
/// (<see cref="Durable"/> false) is not synced: its durable copy is the backend's.
/// </summary>
internal sealed class PackWriter : IDisposable
{
    public const string TemporaryPrefix = "tmp_pack_";
    private const int CopyBytes = 1 << 16;

    private readonly string _directory;
    private readonly string _temporaryPack;
    private readonly string _temporaryIndex;
    private readonly FileStream _file;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private readonly Crc32 _crc = new();
    private readonly List<PackIndexEntry> _entries;
    private readonly Dictionary<GitObjectId, long> _offsets;
    private readonly int _expected;
    private bool _finished;

    public PackWriter(string packDirectory, int objectCount)
    {
        _directory = packDirectory;
        _expected = objectCount;
        _entries = new List<PackIndexEntry>(objectCount);
        _offsets = new Dictionary<GitObjectId, long>(objectCount);
        var token = Guid.NewGuid().ToString("N");
        // No ".pack"/".idx" ending: git takes any *.idx in the directory for a pack's index, finished or not.
        _temporaryPack = Path.Combine(packDirectory, TemporaryPrefix + token);
        _temporaryIndex = Path.Combine(packDirectory, "tmp_idx_" + token);
        _file = new FileStream(_temporaryPack, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> header = stackalloc byte[PackFile.HeaderBytes];
        "PACK"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)objectCount);
        Write(header);
    }

    /// <summary>Bytes written so far (the offset of the next entry).</summary>
    public long Position { get; private set; }

    public int Count => _entries.Count;

    /// <summary>Whether <see cref="Finish"/> syncs the files and the directory (default); false for a pack to upload, whose durable copy is the backend's.</summary>
    public bool Durable { get; set; } = true;

    /// <summary>Appends a whole object, deflating exactly <paramref name="size"/> bytes of <paramref name="content"/>.</summary>
    public void WriteWhole(GitObjectId id, GitObjectType type, Stream content, long size)
    {
        var offset = BeginEntry(id, GitObjectTypes.PackCode(type), size, null);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBytes);
        try
        {
            using var deflater = new ZLibStream(new Sink(this), new ZLibCompressionOptions { CompressionLevel = 6 }, leaveOpen: false);
            long total = 0;
            int n;
            while (total < size && (n = content.Read(buffer, 0, (int)Math.Min(buffer.Length, size - total))) > 0)
            {
                deflater.Write(buffer, 0, n);
                total += n;
            }
            if (total != size) throw new InvalidDataException($"Object {id} ends after {total} of {size} bytes.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        EndEntry(id, offset);
    }

    /// <summary>
    /// Appends an entry whose zlib data is ready: a whole object (<paramref name="deltaBase"/> null) or a delta against
    /// <paramref name="deltaBase"/>, which must already be in this pack (written as <c>OFS_DELTA</c>), or, with
    /// <paramref name="byId"/>, anywhere in it (<c>REF_DELTA</c>, as copied from a pack that had it so).
    /// </summary>
    public void WriteCompressed(GitObjectId id, int typeCode, long inflatedSize, GitObjectId? deltaBase, bool byId, Stream zlibData, long zlibLength)
    {
        long offset;
        if (deltaBase is { } baseId && !byId)
        {
            if (!_offsets.TryGetValue(baseId, out var baseOffset))
            {
                throw new InvalidOperationException($"The delta base {baseId} of {id} is not written before it.");
            }
            offset = BeginEntry(id, PackEntryHeader.OfsDelta, inflatedSize, baseOffset);
        }
        else if (deltaBase is { } refBase)
        {
            offset = BeginEntry(id, PackEntryHeader.RefDelta, inflatedSize, null);
            Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
            refBase.WriteTo(raw);
            Write(raw);
        }
        else
        {
            offset = BeginEntry(id, typeCode, inflatedSize, null);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBytes);
        try
        {
            long copied = 0;
            while (copied < zlibLength)
            {
                var n = zlibData.Read(buffer, 0, (int)Math.Min(buffer.Length, zlibLength - copied));
                if (n == 0) throw new InvalidDataException($"The data of {id} ends after {copied} of {zlibLength} bytes.");
                Write(buffer.AsSpan(0, n));
                copied += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        EndEntry(id, offset);
    }

    private long BeginEntry(GitObjectId id, int typeCode, long size, long? ofsBase)
    {
        if (_finished) throw new InvalidOperationException("The pack is finished.");
        if (_offsets.ContainsKey(id)) throw new InvalidOperationException($"Object {id} is in the pack already.");
        if (_entries.Count == _expected) throw new InvalidOperationException($"The pack was announced with {_expected} objects.");
        var offset = Position;
        _crc.Reset();
        Span<byte> header = stackalloc byte[PackEntryHeader.MaxLength];
        var n = PackEntryHeader.WriteTypeAndSize(header, typeCode, size);
        if (ofsBase is { } b) n += PackEntryHeader.WriteBaseDistance(header[n..], offset - b);
        Write(header[..n]);
        return offset;
    }

    private void EndEntry(GitObjectId id, long offset)
    {
        _entries.Add(new PackIndexEntry(id, offset, _crc.GetCurrentHashAsUInt32()));
        _offsets.Add(id, offset);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _sha.AppendData(bytes);
        _crc.Append(bytes);
        _file.Write(bytes);
        Position += bytes.Length;
    }

    /// <summary>Completes the pack, makes it durable and puts it in place under its checksum's name.</summary>
    public PackWritten Finish()
    {
        if (_entries.Count != _expected)
        {
            throw new InvalidOperationException($"The pack was announced with {_expected} objects but holds {_entries.Count}.");
        }
        _finished = true;
        var checksum = _sha.GetHashAndReset();
        _file.Write(checksum);
        var packBytes = Position + checksum.Length;
        _file.Flush(flushToDisk: Durable);
        _file.Dispose();
        using (var index = new FileStream(_temporaryIndex, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            PackIndexWriter.Write(index, _entries, checksum);
            index.Flush(flushToDisk: Durable);
        }
        var name = "pack-" + Convert.ToHexStringLower(checksum);
        var packPath = Path.Combine(_directory, name + ".pack");
        var indexPath = Path.Combine(_directory, name + ".idx");
        // The same checksum is the same pack: one already in place (a run interrupted after its renames) stays.
        if (File.Exists(packPath)) File.Delete(_temporaryPack);
        else File.Move(_temporaryPack, packPath);
        if (File.Exists(indexPath)) File.Delete(_temporaryIndex);
        else File.Move(_temporaryIndex, indexPath);
        if (Durable) Posix.SyncDirectory(_directory);
        return new PackWritten(name, packPath, indexPath, _entries.Count, packBytes);
    }

    public void Dispose()
    {
        _sha.Dispose();
        if (_finished) return;
        _finished = true;
        _file.Dispose();
        TryDelete(_temporaryPack);
        TryDelete(_temporaryIndex);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Where the deflater writes: straight into the pack, through its checksums.</summary>
    private sealed class Sink(PackWriter writer) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => writer.Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
