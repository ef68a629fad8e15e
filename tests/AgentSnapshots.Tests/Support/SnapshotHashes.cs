namespace AgentSnapshots.Tests;

/// <summary>A hash a test got back from the service (a track's, a history row's), as the grains take it.</summary>
public static class SnapshotHashes
{
    public static SnapshotHash AsHash(this string hash) => SnapshotHash.Parse(hash, "hash");
}
