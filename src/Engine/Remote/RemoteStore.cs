using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Remote;

/// <summary>What a silo tells an agent about the store it sends to.</summary>
public static class RemoteStore
{
    /// <summary>
    /// Changes whenever the store collected objects: an agent that sees it change offers everything again rather
    /// than only what changed since the tree the store last acknowledged (which collection may have dropped).
    /// </summary>
    public static string Marker(ObjectStore store) => CollectionMarker.Read(store);

    /// <summary>Whether <paramref name="id"/> is a tree the store holds.</summary>
    public static bool HasTree(ObjectStore store, GitObjectId id) => store.Contains(id) && store.ReadHeader(id).Type == "tree";
}
