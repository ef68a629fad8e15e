using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSnapshots.Cli;

/// <summary>
/// The contract's JSON (camelCase names, enums as camelCase strings, patches unescaped) for the records the CLI sends
/// and reads, with serializers generated at build time: no reflection over the records when a call starts.
/// </summary>
[JsonSerializable(typeof(TrackResult))]
[JsonSerializable(typeof(ChangesResult))]
[JsonSerializable(typeof(DiffSummary))]
[JsonSerializable(typeof(RestoreResult))]
[JsonSerializable(typeof(SessionHistory))]
[JsonSerializable(typeof(WorkspaceUsage))]
[JsonSerializable(typeof(CollectionReport))]
[JsonSerializable(typeof(DeletedSession))]
[JsonSerializable(typeof(TrackRequest))]
[JsonSerializable(typeof(RestoreRequest))]
[JsonSerializable(typeof(RevertRequest))]
[JsonSerializable(typeof(ApiProblem))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>Compact, for request bodies and reading replies.</summary>
    public static CliJson Compact { get; } = new(Create(indented: false));

    /// <summary>Indented, for people reading <c>--json</c> on a terminal (as the CLI always printed it).</summary>
    public static CliJson Indented { get; } = new(Create(indented: true));

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            // Patches are full of + < > and quotes: keep them readable (the output is never embedded in HTML).
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter<SkipReason>(JsonNamingPolicy.CamelCase));
        options.Converters.Add(new JsonStringEnumConverter<FileStatus>(JsonNamingPolicy.CamelCase));
        return options;
    }
}
