namespace AgentSnapshots;

/// <summary>
/// A session's name as its caller chose it (see <see cref="SessionIds"/>): parsed once where a request comes in (the
/// HTTP API, the MCP tools, the UI, the SDK, the CLI), so a session grain is addressed only by a well-formed name, or
/// by the service's tenant key made of one.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct SessionName
{
    private SessionName(string value) => Value = value;

    /// <summary>What a name looks like, as refusals say it.</summary>
    public static string Form { get; } = $"1 to {SessionIds.MaxLength} characters from letters, digits and . _ : -";

    [Id(0)]
    public string Value { get; }

    public static bool TryParse(string? text, out SessionName name)
    {
        name = SessionIds.IsValidSessionId(text) ? new SessionName(text!) : default;
        return name.Value is not null;
    }

    /// <summary><paramref name="text"/> as a name, or <see cref="RequestError.MalformedId"/> saying what a name looks like.</summary>
    public static SessionName Parse(string? text) =>
        TryParse(text, out var name)
            ? name
            : throw new SnapshotRequestException(RequestError.MalformedId, $"Session name {RefusalText.Quoted(text)} is not accepted: use {Form}.");

    public override string ToString() => Value;
}
