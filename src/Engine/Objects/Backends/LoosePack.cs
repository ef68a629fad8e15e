using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>Writes loose objects of a store as one pack of whole objects (what a publish or a migration stores).</summary>
internal static class LoosePack
{
    /// <summary>Writes <paramref name="ids"/> (loose in <paramref name="store"/>) as one pack in <paramref name="directory"/>.</summary>
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
        return writer.Finish();
    }
}
