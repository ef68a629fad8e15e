namespace AgentSnapshots;

/// <summary>The grain storage provider holding sessions, workspaces and their pages.</summary>
public static class SnapshotsStorage
{
    public const string Name = "snapshots";
}
