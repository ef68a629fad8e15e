using System.Text.Json.Serialization;

namespace AgentSnapshots.Engine.Retention;

/// <summary>
/// The small, rarely written part of a workspace's catalogue: the sessions that recorded snapshots (by slot), the
/// range of pages holding the entries, and where the last collection stopped. Written when a session or a page
/// appears and at collection, never on an ordinary track. Short JSON names keep stored state small.
/// </summary>
public sealed class CatalogueHeader
{
    /// <summary>Session ids by slot; a deleted session's slot is null and reused.</summary>
    [JsonPropertyName("sessions")]
    public List<string?> Sessions { get; set; } = [];

    [JsonPropertyName("first")]
    public int FirstPage { get; set; }

    [JsonPropertyName("last")]
    public int LastPage { get; set; }

    /// <summary>The recording sequence number when retention last ran (automatic collection counts from it).</summary>
    [JsonPropertyName("collected")]
    public long CollectedAtSequence { get; set; }

    /// <summary>Grows whenever retention drops snapshots, so a session can tell cheaply whether its history is stale.</summary>
    [JsonPropertyName("epoch")]
    public long DropEpoch { get; set; }
}

/// <summary>One live snapshot of a workspace: its tree, last recording time, whether a restore took it, who recorded it.</summary>
public sealed class CatalogueEntry
{
    [JsonPropertyName("h")]
    public string Hash { get; set; } = "";

    /// <summary>Last recording, Unix milliseconds (UTC).</summary>
    [JsonPropertyName("t")]
    public long Time { get; set; }

    /// <summary>Recorded as a restore's safety snapshot.</summary>
    [JsonPropertyName("s")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Safety { get; set; }

    [JsonPropertyName("o")]
    public List<CatalogueOwner> Owners { get; set; } = [];
}

/// <summary>A session that recorded a snapshot: its slot in <see cref="CatalogueHeader.Sessions"/> and the recording's sequence number.</summary>
public sealed class CatalogueOwner
{
    [JsonPropertyName("s")]
    public int Session { get; set; }

    [JsonPropertyName("n")]
    public long Sequence { get; set; }
}

/// <summary>A snapshot retention dropped for a session, why, and in which drop epoch.</summary>
public sealed class DroppedSnapshot
{
    [JsonPropertyName("h")]
    public string Hash { get; set; } = "";

    [JsonPropertyName("s")]
    public string Session { get; set; } = "";

    [JsonPropertyName("r")]
    public DropReason Reason { get; set; }

    [JsonPropertyName("e")]
    public long Epoch { get; set; }
}
