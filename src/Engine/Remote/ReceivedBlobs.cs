using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// Where an agent keeps the small blobs it receives for a restore: in memory, and beyond <see cref="HeldBytes"/> in
/// packs of its store, rather than one loose file each. A restore of many small files would otherwise create, rename,
/// read back and delete a file per blob around writing the file itself (three times the file operations of a local
/// restore). A blob is verified in memory as it arrives (one stored zlib block, as a store keeps objects of up to
/// 4 KiB: its checksum, its header, and its SHA-1 against the id it was sent as); the restore reads it through
/// <see cref="Open"/> (then the store). The packs live only until the restore has written the files:
/// <see cref="Dispose"/> deletes them. Anything else (a tree, a compressed or larger blob) is not taken here and is
/// stored loose as before.
/// </summary>
/// <param name="heldBytes">The most blob bytes held in memory (<see cref="HeldBytes"/>).</param>
internal sealed class ReceivedBlobs(ObjectStore store, long heldBytes = ReceivedBlobs.HeldBytes) : IDisposable
{
    /// <summary>The most blob bytes held in memory; more are written as a pack (stored entries, no compression work).</summary>
    public const int HeldBytes = 32 << 20;

    private readonly Dictionary<GitObjectId, byte[]> _held = [];
    private readonly List<PackWritten> _written = [];
    private long _heldBytes;

    /// <summary>Blobs taken so far.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Takes the blob <paramref name="id"/> if <paramref name="loose"/> (its loose-object bytes) is one stored zlib
    /// block; false for anything else (left to <see cref="VerifiedObjectWriter"/>).
    /// </summary>
    /// <exception cref="RemoteProtocolException">It is one stored block but not the blob <paramref name="id"/>.</exception>
    public bool TryTake(GitObjectId id, ArraySegment<byte> loose)
    {
        ArraySegment<byte> content;
        try
        {
            if (!ZLibStored.TryUnwrap(loose, out content)) return false;
        }
        catch (InvalidDataException e)
        {
            throw new RemoteProtocolException($"object {id} is not a valid zlib stream ({e.Message})", e);
        }
        var nul = content.AsSpan().IndexOf((byte)0);
        if (nul < 0 || !content.AsSpan().StartsWith("blob "u8)) return false;
        var size = content.Count - nul - 1;
        if (!content.AsSpan(0, nul + 1).SequenceEqual(LooseObjects.Header(GitObjectType.Blob, size)))
        {
            throw new RemoteProtocolException($"object {id} has a header that does not give its size ({size} bytes follow)");
        }
        var data = content.AsSpan(nul + 1);
        var hashed = ObjectStore.HashOf(GitObjectType.Blob, data);
        if (hashed != id) throw new RemoteProtocolException($"object {id} does not match its id: its content hashes to {hashed}");
        if (_held.TryAdd(id, data.ToArray()))
        {
            _heldBytes += size;
            Count++;
        }
        if (_heldBytes >= heldBytes) Flush();
        return true;
    }

    /// <summary>The content of a blob held in memory; null if it is not (it is in the store).</summary>
    public Stream? Open(GitObjectId id) => _held.TryGetValue(id, out var data) ? new MemoryStream(data, writable: false) : null;

    /// <summary>Writes the blobs held as one pack, where the restore reads them; the memory goes.</summary>
    private void Flush()
    {
        using (var pack = new PackWriter(store.Packs.Directory, _held.Count))
        {
            foreach (var (id, data) in _held)
            {
                // A pack entry is the zlib stream of the content without the loose header: stored, no compression.
                var stored = ZLibStored.Wrap(data, []);
                using var entry = new MemoryStream(stored, writable: false);
                pack.WriteCompressed(id, GitObjectTypes.PackCode(GitObjectType.Blob), data.Length, null, byId: false, entry, stored.Length);
            }
            _written.Add(pack.Finish());
        }
        _held.Clear();
        _heldBytes = 0;
        store.Packs.Refresh();
    }

    /// <summary>Forgets the blobs held and deletes the packs written (the blobs are in the directory and the silo's store now), index first.</summary>
    public void Dispose()
    {
        _held.Clear();
        foreach (var pack in _written)
        {
            PackSet.Forget(pack.IndexPath);
            TryDelete(pack.IndexPath);
            TryDelete(pack.PackPath);
        }
        if (_written.Count > 0) store.Packs.Refresh();
        _written.Clear();
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
}
