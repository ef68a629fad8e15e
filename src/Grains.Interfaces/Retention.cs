namespace AgentSnapshots;

/// <summary>
/// Disk used by one workspace's object store (loose objects and their bytes on disk), the snapshots it keeps and
/// the sessions that recorded them. CLI <c>usage --json</c> prints it as is.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WorkspaceUsage(
    [property: Id(0)] string Workspace,
    [property: Id(1)] string? Directory,
    [property: Id(2)] long Objects,
    [property: Id(3)] long Bytes,
    [property: Id(4)] int Snapshots,
    [property: Id(5)] int Sessions);

/// <summary>Objects and bytes left in a store.</summary>
[GenerateSerializer, Immutable]
public sealed record StoreSize(
    [property: Id(0)] long Objects,
    [property: Id(1)] long Bytes);

/// <summary>What one 'gc' did: snapshots retention dropped, objects and bytes collection freed, and what is left.</summary>
[GenerateSerializer, Immutable]
public sealed record CollectionReport(
    [property: Id(0)] string Workspace,
    [property: Id(1)] int DroppedSnapshots,
    [property: Id(2)] long ObjectsDeleted,
    [property: Id(3)] long BytesFreed,
    [property: Id(4)] StoreSize Remaining);

/// <summary>A deleted session: its workspace id and directory (null if it never tracked) and how many snapshots it released.</summary>
[GenerateSerializer, Immutable]
public sealed record DeletedSession(
    [property: Id(0)] string Session,
    [property: Id(1)] string? Workspace,
    [property: Id(2)] string? Directory,
    [property: Id(3)] int Snapshots);
