using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AgentSnapshots.Cli;

/// <summary>What a verb answered: the wire record as <c>--json</c> prints it, and its text for people.</summary>
internal sealed record VerbOutput(string Json, string Text)
{
    public static VerbOutput Of<T>(T result, JsonTypeInfo<T> json, string text) => new(JsonSerializer.Serialize(result, json), text);
}
