using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// A snapshot hash as the engine's object id and back. Both sides are already well formed (the hash was parsed where
/// the request came in, the id read from a store), so neither direction can fail.
/// </summary>
internal static class SnapshotHashIds
{
    public static GitObjectId ToObjectId(this SnapshotHash hash) => GitObjectId.Parse(hash.Hex);

    /// <summary>A hash the service itself wrote (a snapshot it took, a history row), as the grains take it.</summary>
    public static SnapshotHash Recorded(string hash) => SnapshotHash.Parse(hash, "recorded snapshot");
}
