using System.Buffers;
using AgentSnapshots.Engine.Objects.Packs;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>
/// A pack of a backed store as this silo caches it: a file of the pack's full length whose ranges are fetched from the
/// backend on first read, in chunks of <see cref="ChunkBytes"/>, and a map beside it (<c>pack-*.chunks</c>, one byte
/// per chunk) of the chunks present, so a restarted silo keeps what it fetched. A reader writes a fetched chunk
/// through its own handle: a pack evicted (unlinked) while it is read stays whole for that reader.
/// </summary>
internal sealed class SparsePack
{
    public const string MapExtension = ".chunks";

    /// <summary>The unit fetched, cached and accounted (the PostgreSQL backend stores packs in chunks of the same size).</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>A cold read fetches up to this much ahead in one call: a pack is mostly read forward.</summary>
    private const int ReadAheadChunks = 8;

    private readonly Lock _gate = new();
    private readonly byte[] _present;
    private readonly BackedStore _store;
    private bool _evicted;

    private SparsePack(string packPath, long length, byte[] present, BackedStore store)
    {
        PackPath = packPath;
        Length = length;
        _present = present;
        _store = store;
    }

    public string PackPath { get; }

    public long Length { get; }

    /// <summary>The pack's file name in the backend (<c>pack-*.pack</c>).</summary>
    public string Name => Path.GetFileName(PackPath);

    public static string MapPathOf(string packPath) => Path.ChangeExtension(packPath, MapExtension);

    public static int ChunkCount(long length) => (int)((length + ChunkBytes - 1) / ChunkBytes);

    /// <summary>The cached pack at <paramref name="packPath"/> if it has a chunk map (a pack of a backed store), else null (a pack of the store's own).</summary>
    public static SparsePack? TryOpen(string packPath, long length, BackedStore? store)
    {
        if (store is null) return null;
        byte[] map;
        try
        {
            map = File.ReadAllBytes(MapPathOf(packPath));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        var present = new byte[ChunkCount(length)];
        map.AsSpan(0, Math.Min(map.Length, present.Length)).CopyTo(present);
        var pack = new SparsePack(packPath, length, present, store);
        store.Cache.Opened(pack);
        return pack;
    }

    /// <summary>Whether every chunk of the pack is present here (a pack this silo published, or one read whole).</summary>
    public bool IsComplete
    {
        get
        {
            lock (_gate)
            {
                return !_present.AsSpan().Contains((byte)0);
            }
        }
    }

    /// <summary>Bytes of the pack present here.</summary>
    public long PresentBytes
    {
        get
        {
            lock (_gate)
            {
                long bytes = 0;
                for (var c = 0; c < _present.Length; c++)
                {
                    if (_present[c] != 0) bytes += ChunkLength(c);
                }
                return bytes;
            }
        }
    }

    /// <summary>Writes a map that marks every chunk of a pack of <paramref name="length"/> bytes present or absent.</summary>
    public static void WriteMap(string mapPath, long length, bool present)
    {
        var map = new byte[ChunkCount(length)];
        if (present) map.AsSpan().Fill(1);
        File.WriteAllBytes(mapPath, map);
    }

    /// <summary>Makes bytes <paramref name="offset"/> .. + <paramref name="count"/> present in the file <paramref name="handle"/> reads, fetching the missing chunks.</summary>
    /// <param name="handle">The reader's handle (read-write).</param>
    /// <param name="offset">The first byte needed.</param>
    /// <param name="count">How many bytes are needed.</param>
    /// <param name="readAhead">The reader goes on forward (an entry's data): fetch up to <see cref="ReadAheadChunks"/> absent chunks in one call.</param>
    public void Ensure(SafeFileHandle handle, long offset, long count, bool readAhead = false)
    {
        if (count <= 0) return;
        var first = (int)(offset / ChunkBytes);
        var last = (int)Math.Min(_present.Length - 1, (offset + count - 1) / ChunkBytes);
        long fetched = 0;
        for (var c = first; c <= last; c++)
        {
            if (Volatile.Read(ref _present[c]) == 0) fetched += Fetch(handle, c, readAhead ? ReadAheadChunks : last - c + 1);
        }
        _store.Cache.Used(this, fetched);
    }

    /// <summary>Marks the pack evicted (its files are being deleted): fetches from now on no longer write the map.</summary>
    public void MarkEvicted()
    {
        lock (_gate) _evicted = true;
    }

    private long ChunkLength(int chunk) => Math.Min(ChunkBytes, Length - ((long)chunk * ChunkBytes));

    /// <summary>Fetches chunk <paramref name="chunk"/> and the absent ones after it (<paramref name="most"/> in all) in one read; returns the bytes fetched.</summary>
    private long Fetch(SafeFileHandle handle, int chunk, int most)
    {
        lock (_gate)
        {
            if (_present[chunk] != 0) return 0;
            var end = chunk + 1;
            while (end < _present.Length && end - chunk < most && _present[end] == 0) end++;
            var start = (long)chunk * ChunkBytes;
            var length = (int)(Math.Min(Length, (long)end * ChunkBytes) - start);
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                _store.ReadExactly(Name, start, buffer.AsMemory(0, length));
                RandomAccess.Write(handle, buffer.AsSpan(0, length), start);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            for (var c = chunk; c < end; c++) _present[c] = 1;
            if (!_evicted) WriteMapRange(chunk, end);
            return length;
        }
    }

    private void WriteMapRange(int from, int to)
    {
        try
        {
            using var map = File.OpenHandle(MapPathOf(PackPath), FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.Write(map, _present.AsSpan(from, to - from), from);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // The pack was deleted here (collected) while it was read: the reader's handle still holds what it fetched.
        }
    }
}
