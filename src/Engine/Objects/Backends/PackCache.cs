using System.Collections.Concurrent;
using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>
/// A silo's cache of backed stores (<c>Snapshots:ObjectStore</c> postgres or s3): one per silo, shared by every store
/// under its workspaces directory. It knows the backend and keeps the cached packs' bytes under
/// <c>Snapshots:CacheBytes</c>: beyond it, the least recently used packs are deleted here (they stay in the backend,
/// and are fetched again, index first, when a read needs them). Loose objects not yet published are never evicted.
/// </summary>
public sealed class PackCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private long _bytes;

    /// <summary>The cache of <paramref name="backend"/>'s stores under <paramref name="workspacesDirectory"/>, bounded by <paramref name="cacheBytes"/>; counts what an earlier run left there.</summary>
    public PackCache(IObjectBackend backend, string workspacesDirectory, long cacheBytes)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        WorkspacesDirectory = Path.GetFullPath(workspacesDirectory);
        CacheBytes = cacheBytes;
        CountLeftOver();
        EvictBeyondBudget(null);
    }

    public IObjectBackend Backend { get; }

    public string WorkspacesDirectory { get; }

    public long CacheBytes { get; }

    /// <summary>The bytes of pack data (and indexes) cached now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The store of workspace <paramref name="storeId"/>, opened (created if absent) as this cache's.</summary>
    public ObjectStore Open(string storeId) => ObjectStore.Open(Path.Combine(WorkspacesDirectory, storeId), this);

    /// <summary>A cached pack was opened: it is accounted from now on.</summary>
    internal void Opened(SparsePack pack)
    {
        var entry = new Entry(pack.PackPath) { Pack = pack, Bytes = pack.PresentBytes + IndexBytes(pack.PackPath), LastUsed = Environment.TickCount64 };
        Entry? replaced = null;
        // The last call of the update is the one that took effect.
        _entries.AddOrUpdate(pack.PackPath, entry, (_, existing) =>
        {
            replaced = existing;
            return entry;
        });
        // Only what changed is counted: summing every entry here (each publish opens its new pack) cost a cluster of
        // 10,000 stores 9 % of its CPU. A read of the replaced entry racing with this may leave the count off by what
        // it fetched; eviction counts again before it deletes anything.
        Interlocked.Add(ref _bytes, entry.Bytes - (replaced is null ? 0 : Interlocked.Read(ref replaced.Bytes)));
        // No eviction here: a pack set being scanned opens every pack in turn, and would evict what it just listed.
    }

    /// <summary>A cached pack was read: it is the most recently used; <paramref name="fetched"/> bytes came in.</summary>
    internal void Used(SparsePack pack, long fetched)
    {
        if (_entries.TryGetValue(pack.PackPath, out var entry) && ReferenceEquals(entry.Pack, pack))
        {
            entry.LastUsed = Environment.TickCount64;
            if (fetched > 0)
            {
                Interlocked.Add(ref entry.Bytes, fetched);
                Interlocked.Add(ref _bytes, fetched);
            }
        }
        if (fetched > 0) EvictBeyondBudget(pack.PackPath);
    }

    /// <summary>A cached pack was deleted here by its store (the backend no longer has it): no longer accounted.</summary>
    internal void Forgot(string packPath)
    {
        if (_entries.TryRemove(packPath, out var entry)) Interlocked.Add(ref _bytes, -entry.Bytes);
    }

    private void Recount() => Interlocked.Exchange(ref _bytes, _entries.Values.Sum(e => Interlocked.Read(ref e.Bytes)));

    /// <summary>Deletes the least recently used packs (never <paramref name="keep"/>, the one being read) until the cache is within its bound.</summary>
    private void EvictBeyondBudget(string? keep)
    {
        // Another thread evicting does it for this one too; never waiting here keeps a sync that fetched a pack's
        // header (holding its directory's gate) from waiting on an eviction that waits for that gate.
        if (Bytes <= CacheBytes || !_evicting.TryEnter()) return;
        try
        {
            Recount();
            foreach (var entry in _entries.Values.OrderBy(e => e.LastUsed).ToList())
            {
                if (Bytes <= CacheBytes) break;
                if (string.Equals(entry.PackPath, keep, StringComparison.Ordinal)) continue;
                entry.Pack?.MarkEvicted();
                DeleteCachedPack(entry.PackPath);
                Forgot(entry.PackPath);
            }
        }
        finally
        {
            _evicting.Exit();
        }
    }

    /// <summary>Deletes a cached pack's files, its index first (without it no reader finds the pack), and forgets its opened index.</summary>
    internal static void DeleteCachedPack(string packPath)
    {
        lock (PackDirectoryGates.For(Path.GetDirectoryName(packPath)!))
        {
            var indexPath = Path.ChangeExtension(packPath, ".idx");
            PackSet.Forget(indexPath);
            TryDelete(indexPath);
            TryDelete(packPath);
            TryDelete(SparsePack.MapPathOf(packPath));
        }
    }

    /// <summary>Accounts the cached packs an earlier run left under the workspaces directory (by their maps), least recently written first to go.</summary>
    private void CountLeftOver()
    {
        if (!Directory.Exists(WorkspacesDirectory)) return;
        foreach (var store in Directory.EnumerateDirectories(WorkspacesDirectory))
        {
            var packs = Path.Combine(store, "objects", "pack");
            if (!Directory.Exists(packs)) continue;
            foreach (var map in Directory.EnumerateFiles(packs, "pack-*" + SparsePack.MapExtension))
            {
                var packPath = Path.ChangeExtension(map, ".pack");
                var pack = new FileInfo(packPath);
                if (!pack.Exists) continue;
                var present = File.ReadAllBytes(map);
                long bytes = IndexBytes(packPath);
                for (var c = 0; c < present.Length; c++)
                {
                    if (present[c] != 0) bytes += Math.Min(SparsePack.ChunkBytes, pack.Length - ((long)c * SparsePack.ChunkBytes));
                }
                var age = (long)(DateTime.UtcNow - File.GetLastWriteTimeUtc(map)).TotalMilliseconds;
                _entries[packPath] = new Entry(packPath) { Bytes = bytes, LastUsed = Environment.TickCount64 - Math.Max(0, age) };
            }
        }
        Recount();
    }

    private static long IndexBytes(string packPath)
    {
        var index = new FileInfo(Path.ChangeExtension(packPath, ".idx"));
        return index.Exists ? index.Length : 0;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next eviction or the store's next sync.
        }
    }

    private sealed class Entry(string packPath)
    {
        public string PackPath { get; } = packPath;

        public SparsePack? Pack { get; init; }

        public long Bytes;

        public long LastUsed;
    }
}
