using AgentSnapshots.Engine;
using System.Text.Json.Serialization;

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

    /// <summary>
    /// Snapshots retention removed from this session's history, newest last (at most <see cref="MaxExpired"/>),
    /// so a later restore or diff of one says why it is gone.
    /// </summary>
    [Id(3)]
    public List<ExpiredSnapshot> Expired { get; set; } = [];

    public const int MaxExpired = 200;

    /// <summary>
    /// The workspace's catalogue holds this session's snapshots (true for every session that tracked since retention
    /// exists; an older session's snapshots are adopted into the catalogue on its next call).
    /// </summary>
    [Id(4)]
    public bool Catalogued { get; set; }
}

/// <summary>A snapshot retention removed, and why.</summary>
[GenerateSerializer]
public sealed class ExpiredSnapshot
{
    [Id(0)]
    public string Hash { get; set; } = "";

    [Id(1)]
    public DropReason Reason { get; set; }
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

/// <summary>
/// What a workspace grain stores: the directory its key was derived from, and the catalogue of every snapshot a
/// session recorded in it (hash, last recording time, owning sessions), oldest first, so retention can decide what
/// to keep. Hashes and numbers only, with short JSON names: about 90 bytes a snapshot, so the
/// <c>Snapshots:Retention:MaxSnapshots</c> cap (10,000 by default) keeps it near 1 MiB at most.
/// </summary>
[GenerateSerializer]
public sealed class WorkspaceState
{
    /// <summary>At most this many drops are remembered (so sessions can say why a snapshot is gone).</summary>
    public const int MaxDropped = 1000;

    [Id(0)]
    public string? Directory { get; set; }

    /// <summary>Session ids by slot; a deleted session's slot is null and reused.</summary>
    [Id(1)]
    [JsonPropertyName("sessions")]
    public List<string?> Sessions { get; set; } = [];

    /// <summary>Live snapshots, oldest (by last recording) first.</summary>
    [Id(2)]
    [JsonPropertyName("snapshots")]
    public List<CatalogSnapshot> Snapshots { get; set; } = [];

    /// <summary>Recent drops, oldest first, at most <see cref="MaxDropped"/>.</summary>
    [Id(3)]
    [JsonPropertyName("dropped")]
    public List<DroppedSnapshot> Dropped { get; set; } = [];

    /// <summary>The last recording's sequence number.</summary>
    [Id(4)]
    [JsonPropertyName("seq")]
    public long Sequence { get; set; }

    /// <summary>Snapshots recorded since the last collection (automatic collection runs at <c>CollectEvery</c>).</summary>
    [Id(5)]
    [JsonPropertyName("sinceCollect")]
    public int RecordedSinceCollection { get; set; }
}

/// <summary>One live snapshot of a workspace.</summary>
[GenerateSerializer]
public sealed class CatalogSnapshot
{
    [Id(0)]
    [JsonPropertyName("h")]
    public string Hash { get; set; } = "";

    /// <summary>Last recording, Unix milliseconds (UTC).</summary>
    [Id(1)]
    [JsonPropertyName("t")]
    public long Time { get; set; }

    /// <summary>Recorded as a restore's safety snapshot.</summary>
    [Id(2)]
    [JsonPropertyName("s")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Safety { get; set; }

    [Id(3)]
    [JsonPropertyName("o")]
    public List<CatalogOwner> Owners { get; set; } = [];
}

/// <summary>A session that recorded a snapshot: its slot in <see cref="WorkspaceState.Sessions"/> and the recording's sequence number.</summary>
[GenerateSerializer]
public sealed class CatalogOwner
{
    [Id(0)]
    [JsonPropertyName("s")]
    public int Session { get; set; }

    [Id(1)]
    [JsonPropertyName("n")]
    public long Sequence { get; set; }
}

/// <summary>A snapshot retention dropped for a session, and why.</summary>
[GenerateSerializer]
public sealed class DroppedSnapshot
{
    [Id(0)]
    [JsonPropertyName("h")]
    public string Hash { get; set; } = "";

    [Id(1)]
    [JsonPropertyName("s")]
    public string Session { get; set; } = "";

    [Id(2)]
    [JsonPropertyName("r")]
    public DropReason Reason { get; set; }
}
