using System.Text.Json.Serialization;
using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// How an earlier version stored a session, read once to migrate it to rows (<see cref="SessionRecords"/>): the small part of a session's stored state: its workspace binding, the range of pages holding its history (each
/// page a record of its own, so a track writes one page however long the history), and the workspace drop epoch the
/// history was last pruned at. Hashes, labels, times and stats only, never file content or patches.
/// </summary>
public sealed class SessionState
{
    /// <summary>The bound workspace's id (<c>WorkspaceIdentity.IdFor(Directory)</c>); null until the first track.</summary>
    public string? WorkspaceId { get; set; }

    /// <summary>The bound workspace's canonical directory; null until the first track.</summary>
    public string? Directory { get; set; }

    [JsonPropertyName("first")]
    public int FirstPage { get; set; }

    [JsonPropertyName("last")]
    public int LastPage { get; set; }

    /// <summary>The workspace's drop epoch when the history was last pruned of snapshots retention dropped.</summary>
    [JsonPropertyName("epoch")]
    public long SyncedEpoch { get; set; }
}

/// <summary>One snapshot in a session's history (about 150 bytes stored, whatever the files' sizes).</summary>
public sealed class SessionSnapshot
{
    /// <summary>Its history row's sequence number (not in the pages an earlier version stored).</summary>
    [JsonIgnore]
    public long Sequence { get; set; }

    [JsonPropertyName("h")]
    public string Hash { get; set; } = "";

    [JsonPropertyName("l")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Label { get; set; }

    /// <summary>When it was taken (UTC).</summary>
    [JsonPropertyName("t")]
    public DateTimeOffset Time { get; set; }

    [JsonPropertyName("f")]
    public int Files { get; set; }

    [JsonPropertyName("k")]
    public int Skipped { get; set; }

    /// <summary>The step's stats against the snapshot before it; null until computed (and for the first).</summary>
    [JsonPropertyName("s")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SessionStep? Step { get; set; }

    /// <summary>While the step's stats are being computed: the snapshot they are against.</summary>
    [JsonPropertyName("p")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PendingFrom { get; set; }
}

/// <summary>A step's stats as stored.</summary>
public sealed class SessionStep
{
    [JsonPropertyName("c")]
    public int Changed { get; set; }

    [JsonPropertyName("a")]
    public long Additions { get; set; }

    [JsonPropertyName("d")]
    public long Deletions { get; set; }

    [JsonPropertyName("x")]
    public bool Exact { get; set; }
}

/// <summary>How an earlier version stored a workspace (read once to migrate it to rows): the directory its key was derived from and its catalogue's header.</summary>
public sealed class WorkspaceState
{
    public string? Directory { get; set; }

    public CatalogueHeader Catalogue { get; set; } = new();
}
