using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSnapshots;

/// <summary>
/// The JSON form of the wire records, as the contract gives it: camelCase names, enums as camelCase strings.
/// The CLI's <c>--json</c> and the HTTP API both write with these options, so their shapes cannot drift apart.
/// </summary>
public static class ContractJson
{
    /// <summary>Compact JSON (HTTP replies).</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>The same, indented for people reading a terminal (CLI <c>--json</c>).</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            // Patches are full of + < > and quotes: keep them readable (the output is never embedded in HTML).
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
