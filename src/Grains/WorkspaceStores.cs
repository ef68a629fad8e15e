using AgentSnapshots.Engine.Objects.Backends;

namespace AgentSnapshots;

/// <summary>
/// Where the silo's workspaces keep their objects (<c>Snapshots:ObjectStore</c>): with <see cref="Packs"/> null, bare
/// repositories under <c>DataDir</c> (local); else in <see cref="Packs"/>' backend, <c>DataDir</c> a cache of it.
/// One per silo.
/// </summary>
public sealed class WorkspaceStores(PackCache? packs)
{
    /// <summary>The cache of the backend the stores live in; null for local stores.</summary>
    public PackCache? Packs { get; } = packs;

    /// <summary>Stores that live in a backend (postgres, s3) rather than under <c>DataDir</c>.</summary>
    public bool Backed => Packs is not null;

    /// <summary>Opens the store at <paramref name="storeDirectory"/> (a backed one as a cache of its backend's).</summary>
    public ObjectStore Open(string storeDirectory) => ObjectStore.Open(storeDirectory, Packs);

    /// <summary>
    /// Opens the store at <paramref name="storeDirectory"/> only to read it: a local one as it is (no layout made per
    /// read); a backed one as <see cref="Open"/> does, since this silo may not have cached it yet.
    /// </summary>
    public ObjectStore OpenForReading(string storeDirectory) => Packs is null ? ObjectStore.OpenExisting(storeDirectory) : Open(storeDirectory);
}
