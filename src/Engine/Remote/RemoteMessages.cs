using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSnapshots.Engine.Reports;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// A command from the silo. <c>track</c> and <c>snapshot</c>: snapshot the directory and send the objects the store
/// lacks; <c>restore</c>: receive what the directory lacks of <see cref="To"/> (relative to <see cref="Safety"/>,
/// the safety snapshot just sent) and write it through the engine's confined writer. <see cref="EarlyBlobs"/>: the
/// silo takes transfers in rounds, so the agent may offer each large blob as soon as its snapshot has written it (an
/// agent that ignores it sends one round, as before; a silo that does not set it gets one).
/// </summary>
public sealed record AgentCommand(
    string Verb,
    string? To = null,
    IReadOnlyList<string>? Files = null,
    string? Safety = null,
    string? StoreMarker = null,
    bool EarlyBlobs = false);

/// <summary>A path a snapshot left out, as the agent reports it.</summary>
public sealed record AgentSkipped(string Path, SkipCause Cause);

/// <summary>
/// The agent's result of a command: the tree sent (for a restore, its safety snapshot), its counts, the paths it
/// skipped (the first few), and for a restore the paths written and deleted (the first few, and how many).
/// </summary>
public sealed record AgentReply(
    string Tree,
    int Files,
    int SkippedCount,
    IReadOnlyList<AgentSkipped> Skipped,
    long SentObjects,
    long SentBytes,
    IReadOnlyList<string>? Written = null,
    IReadOnlyList<string>? Deleted = null,
    int WrittenCount = 0,
    int DeletedCount = 0);

/// <summary>Why a command failed, in one line; <see cref="Code"/> is the engine's error when it was one.</summary>
public sealed record AgentFailure(string Message, string? Code = null);

/// <summary>The receiver holds every object of <see cref="Tree"/>.</summary>
public sealed record StoredAck(string Tree);

/// <summary>The protocol's JSON, generated at build time (the agent is published as a native executable).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentCommand))]
[JsonSerializable(typeof(AgentReply))]
[JsonSerializable(typeof(AgentFailure))]
[JsonSerializable(typeof(StoredAck))]
public sealed partial class RemoteJson : JsonSerializerContext;
