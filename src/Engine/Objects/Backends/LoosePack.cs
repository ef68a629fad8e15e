using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>Writes loose objects of a store as one pack of whole objects (what a publish or a migration stores).</summary>
internal static class LoosePack
{
    /// <summary>
    /// Writes <paramref name="ids"/> (loose in <paramref name="store"/>) as one pack in <paramref name="directory"/>, to
    /// be uploaded. A small pack (a track's) is not synced: the backend's copy is the durable one, and a cached copy torn
    /// by a crash of the machine is found by its checksum when it is next opened (<see cref="PackFile.Open"/>); its three
    /// fsyncs were a tenth of a two-silo cluster's CPU. A larger one is synced, as re-hashing it at each open would cost
    /// reading all of it.
    /// </summary>
    public static PackWritten Write(ObjectStore store, IReadOnlyList<GitObjectId> ids, string directory, CancellationToken cancellationToken)
    {
        using var writer = new PackWriter(directory, ids.Count);
        foreach (var id in ids)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var content = store.Loose.TryOpen(id, out var type, out var size)
                ?? throw new InvalidDataException($"The loose object {id} of {store.GitDir} went away while it was packed (is another process writing this store?).");
            writer.WriteWhole(id, type, content, size);
        }
        // Unsynced only what a silo can check whole when it opens it: the pack up to VerifiedCachedBytes, its index
        // small enough to be read (and checked) whole.
        writer.Durable = writer.Position + PackFile.TrailerBytes > PackFile.VerifiedCachedBytes
            || PackIndex.LengthOf(ids.Count, writer.Position) > PackIndex.ReadWholeBytes;
        return writer.Finish();
    }
}
