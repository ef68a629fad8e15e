using System.Text.Json;

namespace AgentSnapshots.Cli;

/// <summary>
/// What the MCP relay reads of a JSON-RPC message before passing it on unchanged: its id (a request's), its method,
/// and for <c>notifications/cancelled</c> the id of the request to cancel. Read with <see cref="JsonDocument"/>: no
/// serializer, nothing reflected.
/// </summary>
internal sealed record JsonRpcMessage(JsonElement? Id, string? Method, string? CancelledRequestId)
{
    /// <summary>The id as a dictionary key (its raw JSON, so 1 and "1" stay apart); null for a notification.</summary>
    public string? IdKey => Id?.GetRawText();

    /// <exception cref="JsonException">The line is not a JSON object.</exception>
    public static JsonRpcMessage Read(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("the message is not a JSON object");
        }
        JsonElement? id = root.TryGetProperty("id", out var idValue) && idValue.ValueKind is JsonValueKind.String or JsonValueKind.Number ? idValue.Clone() : null;
        var method = root.TryGetProperty("method", out var methodValue) && methodValue.ValueKind == JsonValueKind.String ? methodValue.GetString() : null;
        string? cancelled = null;
        if (method == "notifications/cancelled" && root.TryGetProperty("params", out var parameters) && parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("requestId", out var requestId))
        {
            cancelled = requestId.GetRawText();
        }
        return new JsonRpcMessage(id, method, cancelled);
    }
}
