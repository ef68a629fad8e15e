using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// The kinds of message between a silo and a workspace agent. Each WebSocket message is one frame: its first byte
/// is the kind, the rest its payload, at most <see cref="Frames.MaxPayloadBytes"/>.
/// </summary>
public enum FrameKind : byte
{
    /// <summary>Silo to agent: a command (JSON <see cref="AgentCommand"/>).</summary>
    Command = 1,
    /// <summary>The sender of objects lists object ids (20 bytes each) it may send, in the order it would send them.</summary>
    Offer = 2,
    /// <summary>The offer is complete.</summary>
    OfferEnd = 3,
    /// <summary>The receiver lists the offered ids it lacks (20 bytes each).</summary>
    Want = 4,
    /// <summary>The want list is complete.</summary>
    WantEnd = 5,
    /// <summary>An object follows in <see cref="ObjectData"/> frames: its id (20 bytes).</summary>
    ObjectStart = 6,
    /// <summary>Bytes of the object begun by <see cref="ObjectStart"/>: its loose-object file (zlib).</summary>
    ObjectData = 7,
    /// <summary>The object begun by <see cref="ObjectStart"/> is complete.</summary>
    ObjectEnd = 8,
    /// <summary>Small objects in one frame: id (20 bytes), length (4 bytes, big-endian), loose-object bytes; repeated.</summary>
    SmallObjects = 9,
    /// <summary>Agent to silo: the command's result (JSON <see cref="AgentReply"/>).</summary>
    Done = 10,
    /// <summary>Either way: the command failed (JSON <see cref="AgentFailure"/>); nothing more follows for it.</summary>
    Failed = 11,
    /// <summary>Silo to agent: the objects of the tree named are stored (JSON <see cref="StoredAck"/>).</summary>
    Stored = 12,
}

/// <summary>Frame limits both sides enforce.</summary>
public static class Frames
{
    /// <summary>The largest payload of one frame (a larger message is refused and the connection closed).</summary>
    public const int MaxPayloadBytes = (1 << 20) - 1;

    /// <summary>Ids per offer or want frame.</summary>
    public const int IdsPerFrame = MaxPayloadBytes / GitObjectId.ByteLength;

    /// <summary>Loose-object files up to this size travel in <see cref="FrameKind.SmallObjects"/> batches.</summary>
    public const int SmallObjectBytes = 64 * 1024;

    /// <summary>The WebSocket path under a silo's address: <c>v1/workspaces/{name}/agent</c>.</summary>
    public static string AgentPath(string workspace) => $"v1/workspaces/{Uri.EscapeDataString(workspace)}/agent";
}
