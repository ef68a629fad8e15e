namespace AgentSnapshots;

/// <summary>
/// What a session stores: its workspace binding and its snapshots, oldest first. Hashes, labels, times and counts
/// only, never file content or patches, so a session of hundreds of steps stays a few tens of KiB.
/// </summary>
[GenerateSerializer]
public sealed class SessionState
{
    /// <summary>The bound workspace's id (<c>WorkspaceIdentity.IdFor(Directory)</c>); null until the first track.</summary>
    [Id(0)]
    public string? WorkspaceId { get; set; }

    /// <summary>The bound workspace's canonical directory; null until the first track.</summary>
    [Id(1)]
    public string? Directory { get; set; }

    [Id(2)]
    public List<SessionSnapshot> Snapshots { get; set; } = [];
}

/// <summary>One snapshot in a session's history.</summary>
[GenerateSerializer]
public sealed class SessionSnapshot
{
    [Id(0)]
    public string Hash { get; set; } = "";

    [Id(1)]
    public string? Label { get; set; }

    /// <summary>When it was taken (UTC).</summary>
    [Id(2)]
    public DateTimeOffset Time { get; set; }

    [Id(3)]
    public int Files { get; set; }

    [Id(4)]
    public int Skipped { get; set; }
}

/// <summary>What a workspace grain stores: the directory its key was derived from.</summary>
[GenerateSerializer]
public sealed class WorkspaceState
{
    [Id(0)]
    public string? Directory { get; set; }
}
