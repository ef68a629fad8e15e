using System.Buffers;
using System.IO.Compression;
using System.IO.Hashing;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Retention;

/// <summary>What a packing wrote.</summary>
internal sealed record PackingResult(PackWritten? Pack, int Copied, int FromLoose, int Deltas, int Dropped);

/// <summary>
/// Writes the pack a <see cref="PackPlan"/> asks for. Entries of the packs being rewritten are copied as they are
/// (their zlib data is not touched, each checked against its CRC); unreachable ones are dropped, and a delta whose
/// base is dropped is rebuilt. Loose objects are deflated; a blob or tree with an earlier version already in the new
/// pack (<see cref="StoreWalk.SkipBase"/>, else its previous version) is stored as a delta against it when that takes
/// at most half the space, and so is a whole object copied from a newer pack whose earlier version now sits before it. Deltas are computed by <see cref="DeltaEncoder"/> in
/// fixed memory; chains stay within <see cref="MaxDepth"/>, git's default depth.
/// </summary>
internal sealed class StorePacker : IDisposable
{
    public const int MaxDepth = 50;

    /// <summary>Objects smaller than this are not worth a delta.</summary>
    private const long MinDeltaBytes = 64;

    private readonly ObjectStore _store;
    private readonly StoreWalk _walk;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<GitObjectId, int> _depth = [];
    private readonly SpillBuffer _deltaSpill;
    private readonly SpillBuffer _wholeSpill;
    private DeltaEncoder? _encoder;
    private int _deltas;

    private StorePacker(ObjectStore store, StoreWalk walk, CancellationToken cancellationToken)
    {
        _store = store;
        _walk = walk;
        _cancellationToken = cancellationToken;
        _deltaSpill = new SpillBuffer(store.Packs.Directory);
        _wholeSpill = new SpillBuffer(store.Packs.Directory);
    }

    public static PackingResult Write(ObjectStore store, PackPlan plan, StoreWalk walk, CancellationToken cancellationToken)
    {
        using var packer = new StorePacker(store, walk, cancellationToken);
        return packer.Run(plan);
    }

    private sealed record Source(PackEntries Entries, int Index, PackEntryHeader Header, GitObjectId Id, GitObjectId? Base, bool Rebuild);

    private PackingResult Run(PackPlan plan)
    {
        // What to copy from each rewritten pack: reachable entries and the delta bases they stand on.
        var sources = new List<Source>();
        var dropped = 0;
        var seen = new HashSet<GitObjectId>();
        foreach (var entries in plan.Rewrite)
        {
            var needed = Needed(entries);
            for (var i = 0; i < entries.Count; i++)
            {
                if (needed.TryGetValue(i, out var source))
                {
                    if (seen.Add(source.Id)) sources.Add(source);
                }
                else if (!_walk.Reachable.Contains(entries.IdAt(i)))
                {
                    dropped++;
                }
            }
        }
        var loose = plan.Loose.Where(seen.Add).ToList();
        if (sources.Count + loose.Count == 0) return new PackingResult(null, 0, 0, 0, dropped);

        var heights = Heights(sources);
        using var writer = new PackWriter(_store.Packs.Directory, sources.Count + loose.Count);
        foreach (var source in sources)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            Copy(writer, source, heights.GetValueOrDefault(source.Id));
        }
        foreach (var id in loose)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            AddResolved(writer, id, 0);
        }
        return new PackingResult(writer.Finish(), sources.Count, loose.Count, _deltas, dropped);
    }

    /// <summary>
    /// The entries of a pack to carry over, by entry index: the reachable ones. A delta whose base is not carried over
    /// (unreachable, or outside the pack) is rebuilt: read whole and stored whole or as a delta against its previous version.
    /// </summary>
    private Dictionary<int, Source> Needed(PackEntries entries)
    {
        var needed = new Dictionary<int, Source>();
        for (var i = 0; i < entries.Count; i++)
        {
            var id = entries.IdAt(i);
            if (!_walk.Reachable.Contains(id)) continue;
            var header = entries.Pack.ReadHeader(entries.OffsetAt(i));
            GitObjectId? baseId = null;
            var rebuild = false;
            if (header.TypeCode == PackEntryHeader.OfsDelta)
            {
                var at = entries.AtOffset(header.BaseOffset);
                if (at < 0) throw new InvalidDataException($"The delta {id} in {entries.Pack.PackPath} names a base offset {header.BaseOffset} where no entry starts.");
                baseId = entries.IdAt(at);
                rebuild = !_walk.Reachable.Contains(baseId.Value);
            }
            else if (header.TypeCode == PackEntryHeader.RefDelta)
            {
                baseId = header.BaseId;
                rebuild = entries.Of(header.BaseId) < 0 || !_walk.Reachable.Contains(header.BaseId);
            }
            needed[i] = new Source(entries, i, header, id, baseId, rebuild);
        }
        return needed;
    }

    /// <summary>For each whole object copied, the depth of the deepest delta standing on it in its own pack.</summary>
    private static Dictionary<GitObjectId, int> Heights(List<Source> sources)
    {
        var byId = sources.ToDictionary(s => s.Id);
        var depth = new Dictionary<GitObjectId, (GitObjectId Root, int Depth)>();
        var heights = new Dictionary<GitObjectId, int>();
        foreach (var source in sources)
        {
            var chain = new List<GitObjectId>();
            var current = source;
            (GitObjectId Root, int Depth) known = default;
            var found = false;
            while (true)
            {
                if (depth.TryGetValue(current.Id, out known)) { found = true; break; }
                chain.Add(current.Id);
                if (current.Base is not { } b || current.Rebuild || !byId.TryGetValue(b, out var below) || chain.Count > DeltaChain.MaxDepth) break;
                current = below;
            }
            var (root, d) = found ? known : (chain[^1], -1);
            for (var k = chain.Count - 1; k >= 0; k--)
            {
                d++;
                depth[chain[k]] = (root, d);
                heights[root] = Math.Max(heights.GetValueOrDefault(root), d);
            }
        }
        return heights;
    }

    private void Copy(PackWriter writer, Source source, int height)
    {
        var header = source.Header;
        var entries = source.Entries;
        var offset = entries.OffsetAt(source.Index);
        var end = offset + entries.LengthAt(source.Index);
        if (source.Rebuild)
        {
            AddResolved(writer, source.Id, height);
            return;
        }
        if (!header.IsDelta)
        {
            GitObjectTypes.TryFromPackCode(header.TypeCode, out var type);
            var zlibLength = end - offset - header.Length;
            if (DeltaBaseFor(source.Id, height) is { } deltaBase && TryDelta(writer, source.Id, type, header.Size, deltaBase, zlibLength))
            {
                return;
            }
            CopyVerbatim(writer, source, offset, end, header.TypeCode, header.Size, null, false);
            _depth[source.Id] = 0;
            return;
        }
        var baseId = source.Base!.Value;
        var byId = header.TypeCode == PackEntryHeader.RefDelta;
        CopyVerbatim(writer, source, offset, end, header.TypeCode, header.Size, baseId, byId);
        _depth[source.Id] = _depth.TryGetValue(baseId, out var d) ? d + 1 : MaxDepth;
    }

    /// <summary>Copies an entry's zlib data as it is, under a fresh header, checking the entry against its CRC in the index.</summary>
    private static void CopyVerbatim(PackWriter writer, Source source, long offset, long end, int typeCode, long size, GitObjectId? baseId, bool byId)
    {
        using var region = new CrcCheckedRegion(source.Entries.Pack.OpenRegion(offset, end), source.Header.Length);
        writer.WriteCompressed(source.Id, typeCode, size, baseId, byId, region, end - offset - source.Header.Length);
        if (region.Crc != source.Entries.CrcAt(source.Index))
        {
            throw new CorruptObjectException(source.Id, source.Entries.Pack.PackPath, "its packed data does not match the CRC its index records");
        }
    }

    /// <summary>Adds an object read whole (a loose one, or a packed one whose delta base is dropped): as a delta against its previous version if smaller, else deflated.</summary>
    private void AddResolved(PackWriter writer, GitObjectId id, int height)
    {
        var (type, size) = _store.ReadTypeAndSize(id);
        if (DeltaBaseFor(id, height) is { } deltaBase && TryDelta(writer, id, type, size, deltaBase, null))
        {
            return;
        }
        using var content = _store.OpenObject(id, out _, out _);
        writer.WriteWhole(id, type, content, size);
        _depth[id] = 0;
    }

    /// <summary>
    /// The earlier version to try <paramref name="id"/> as a delta of: its skip-delta base (<see cref="StoreWalk.SkipBase"/>),
    /// else its previous version, whichever is already in the new pack with room in the chain for
    /// <paramref name="height"/> more levels on top; null if neither.
    /// </summary>
    private GitObjectId? DeltaBaseFor(GitObjectId id, int height)
    {
        foreach (var candidate in new[] { _walk.SkipBase(id), _walk.Predecessors.TryGetValue(id, out var p) ? p : (GitObjectId?)null })
        {
            if (candidate is { } c && _depth.TryGetValue(c, out var d) && d + 1 + height <= MaxDepth) return c;
        }
        return null;
    }

    /// <summary>
    /// Writes <paramref name="id"/> as a delta against <paramref name="baseId"/> if that takes at most half the space of
    /// the object stored whole (a delta costs every read of it a read of its base too): half of
    /// <paramref name="wholeZlibBytes"/> when known (a copied entry), else of deflating it, which stops as soon as it is
    /// past twice the delta. Returns false, having written nothing, if neither is written here; true if either is.
    /// </summary>
    private bool TryDelta(PackWriter writer, GitObjectId id, GitObjectType type, long size, GitObjectId baseId, long? wholeZlibBytes)
    {
        if (size < MinDeltaBytes || type is not (GitObjectType.Blob or GitObjectType.Tree)) return false;
        var (baseType, baseSize) = _store.ReadTypeAndSize(baseId);
        if (baseType != type || baseSize < MinDeltaBytes) return false;
        _encoder ??= DeltaEncoder.Rent();
        _deltaSpill.Clear();
        long deltaBytes;
        using (var baseContent = _store.OpenObject(baseId, out _, out _))
        using (var target = _store.OpenObject(id, out _, out _))
        using (var deflater = new ZLibStream(_deltaSpill, new ZLibCompressionOptions { CompressionLevel = 6 }, leaveOpen: true))
        {
            if (!_encoder.TryEncode(baseContent, baseSize, target, size, deflater, size / 2 - 20, out deltaBytes)) return false;
        }
        var deltaZlib = _deltaSpill.Length;
        if (wholeZlibBytes is { } known)
        {
            if (deltaZlib * 2 > known) return false;
        }
        else
        {
            _wholeSpill.Clear();
            if (DeflateWithin(id, size, 2 * deltaZlib))
            {
                using var whole = _wholeSpill.OpenRead();
                writer.WriteCompressed(id, GitObjectTypes.PackCode(type), size, null, false, whole, _wholeSpill.Length);
                _depth[id] = 0;
                return true;
            }
        }
        using (var delta = _deltaSpill.OpenRead())
        {
            writer.WriteCompressed(id, PackEntryHeader.OfsDelta, deltaBytes, baseId, false, delta, deltaZlib);
        }
        _depth[id] = _depth[baseId] + 1;
        _deltas++;
        return true;
    }

    /// <summary>Deflates the object into the whole-object spill; false as soon as that is larger than <paramref name="limit"/>.</summary>
    private bool DeflateWithin(GitObjectId id, long size, long limit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using (var content = _store.OpenObject(id, out _, out _))
            using (var deflater = new ZLibStream(_wholeSpill, new ZLibCompressionOptions { CompressionLevel = 6 }, leaveOpen: true))
            {
                long total = 0;
                while (total < size)
                {
                    var n = content.Read(buffer, 0, (int)Math.Min(buffer.Length, size - total));
                    if (n == 0) throw new InvalidDataException($"Object {id} ends after {total} of {size} bytes.");
                    deflater.Write(buffer, 0, n);
                    total += n;
                    if (_wholeSpill.Length > limit) return false;
                }
            }
            return _wholeSpill.Length <= limit;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        if (_encoder is not null) DeltaEncoder.Return(_encoder);
        _deltaSpill.Dispose();
        _wholeSpill.Dispose();
    }

    /// <summary>An entry read from its start: the header bytes count toward its CRC but are not passed on.</summary>
    private sealed class CrcCheckedRegion : ForwardOnlyStream
    {
        private readonly Stream _inner;
        private readonly Crc32 _crc = new();

        public CrcCheckedRegion(Stream inner, int headerLength)
        {
            _inner = inner;
            Span<byte> header = stackalloc byte[headerLength];
            inner.ReadExactly(header);
            _crc.Append(header);
        }

        public uint Crc => _crc.GetCurrentHashAsUInt32();

        public override int Read(Span<byte> buffer)
        {
            var n = _inner.Read(buffer);
            _crc.Append(buffer[..n]);
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
