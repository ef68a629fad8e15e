using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Http;

/// <summary>The body of track: both fields optional (an empty body is an empty object).</summary>
/// <param name="Dir">Absolute directory to bind the session to on its first track; later, the bound one or omitted.</param>
/// <param name="Label">A label for the snapshot, shown by history.</param>
public sealed record TrackRequest(
    [property: Description("Absolute directory to bind the session to on its first track; afterwards omit it or give the bound one.")] string? Dir = null,
    [property: Description("A label for the snapshot, shown by history.")] string? Label = null);

/// <summary>The body of restore.</summary>
public sealed record RestoreRequest(
    [property: Required, Description("The snapshot to restore (40 hexadecimal digits, from track or history).")] string To);

/// <summary>The body of revert.</summary>
public sealed record RevertRequest(
    [property: Required, Description("The snapshot to take the files from (40 hexadecimal digits).")] string To,
    [property: Required, Description("Paths relative to the workspace ('/'-separated; a directory reverts what is under it). Absolute paths inside the session's workspace are made relative.")] IReadOnlyList<string> Files);

/// <summary>
/// Reads request bodies strictly: a JSON object of at most <see cref="MaxBytes"/> with only the operation's fields,
/// each of its type. Anything else is a problem naming the field and what to send instead; nothing is changed.
/// </summary>
internal static class RequestBodies
{
    /// <summary>The largest body the API reads (Kestrel refuses larger ones with 413).</summary>
    public const long MaxBytes = 1 << 20;

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 8 };

    public static async Task<TrackRequest> TrackAsync(HttpRequest request, CancellationToken ct)
    {
        using var body = await ReadAsync(request, ct);
        if (body is null)
        {
            return new TrackRequest(null, null);
        }
        var root = body.RootElement;
        Only(root, "track", "dir", "label");
        return new TrackRequest(OptionalString(root, "dir", "an absolute directory path"), OptionalString(root, "label", "a label text"));
    }

    public static async Task<RestoreRequest> RestoreAsync(HttpRequest request, CancellationToken ct)
    {
        using var body = await ReadAsync(request, ct) ?? throw Missing("restore", "{\"to\": \"<hash>\"}");
        var root = body.RootElement;
        Only(root, "restore", "to");
        return new RestoreRequest(RequiredString(root, "to", "a snapshot hash"));
    }

    public static async Task<RevertRequest> RevertAsync(HttpRequest request, CancellationToken ct)
    {
        using var body = await ReadAsync(request, ct) ?? throw Missing("revert", "{\"to\": \"<hash>\", \"files\": [\"path\"]}");
        var root = body.RootElement;
        Only(root, "revert", "to", "files");
        var to = RequiredString(root, "to", "a snapshot hash");
        if (!root.TryGetProperty("files", out var files) || files.ValueKind == JsonValueKind.Null)
        {
            throw Field("Field 'files' is missing: list the paths to revert, relative to the workspace, e.g. \"files\": [\"src/main.c\"].");
        }
        if (files.ValueKind != JsonValueKind.Array || files.GetArrayLength() == 0)
        {
            throw Field($"Field 'files' must be a non-empty array of paths relative to the workspace, not {Describe(files)}; to restore every file, use restore.");
        }
        var list = new List<string>(files.GetArrayLength());
        foreach (var (item, index) in files.EnumerateArray().Select((f, i) => (f, i)))
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Field($"Field 'files[{index}]' must be a string (a path relative to the workspace), not {Describe(item)}.");
            }
            list.Add(item.GetString()!);
        }
        return new RevertRequest(to, list);
    }

    public static async Task<LoginLinkRequest> LoginLinkAsync(HttpRequest request, CancellationToken ct)
    {
        using var body = await ReadAsync(request, ct);
        if (body is null)
        {
            return new LoginLinkRequest();
        }
        var root = body.RootElement;
        Only(root, "login-links", "next");
        return new LoginLinkRequest(OptionalString(root, "next", "a path of the web UI, e.g. /ui/sessions/demo"));
    }

    /// <summary>The body as a JSON object, or null if it is empty.</summary>
    private static async Task<JsonDocument?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge(request.ContentLength.Value);
        }
        using var buffer = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(buffer, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(null);
        }
        if (buffer.Length == 0)
        {
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), Strict);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw new ApiProblemException(ProblemCode.MalformedBody,
                $"The request body is not valid JSON{where} ({FirstSentence(e.Message)}): send one JSON object, e.g. {{\"dir\": \"/home/me/project\"}}.");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = Describe(document.RootElement);
            document.Dispose();
            throw new ApiProblemException(ProblemCode.MalformedBody, $"The request body is {kind}, not a JSON object: send the operation's fields in one object.");
        }
        return document;
    }

    /// <summary>Refuses any field the operation does not take (a misspelt one would otherwise be silently ignored).</summary>
    private static void Only(JsonElement root, string operation, params string[] fields)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!fields.Contains(property.Name, StringComparer.Ordinal))
            {
                throw Field($"Field '{MessageText.Shown(property.Name)}' is not a field of {operation}: it takes {string.Join(", ", fields.Select(f => $"'{f}'"))} (names are case-sensitive).");
            }
        }
    }

    private static string? OptionalString(JsonElement root, string name, string what)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Field($"Field '{name}' must be a string ({what}), not {Describe(value)}.");
    }

    private static string RequiredString(JsonElement root, string name, string what) =>
        OptionalString(root, name, what) ?? throw Field($"Field '{name}' is missing: give {what}.");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd('.');
    }

    private static ApiProblemException Field(string detail) => new(ProblemCode.InvalidField, detail);

    private static ApiProblemException Missing(string operation, string example) =>
        new(ProblemCode.MalformedBody, $"{operation} needs a JSON body: send {example}.");

    private static ApiProblemException TooLarge(long? length) =>
        new(ProblemCode.BodyTooLarge, $"The request body is {(length is { } l ? $"{l} bytes" : "larger than the limit")}; the API takes at most {MaxBytes} bytes (1 MiB): send only the operation's fields.");
}
