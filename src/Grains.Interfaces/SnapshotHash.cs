namespace AgentSnapshots;

/// <summary>
/// A snapshot's hash: the 40 lowercase hexadecimal digits of its tree's git id. Parsed once where a request comes in
/// (the HTTP API, the MCP tools, the UI, the SDK), so the grains take only well-formed hashes and check no form again;
/// whether the hash is one of the session's snapshots is the session's to check.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct SnapshotHash
{
    /// <summary>How many hexadecimal digits a hash has.</summary>
    public const int Length = 40;

    private SnapshotHash(string hex) => Hex = hex;

    /// <summary>The 40 lowercase hexadecimal digits.</summary>
    [Id(0)]
    public string Hex { get; }

    /// <summary>
    /// <paramref name="text"/> as a hash: 40 hexadecimal digits in either case, blanks around them ignored. False for
    /// anything else (null, a short hash, a ref name such as <c>HEAD~1</c>).
    /// </summary>
    public static bool TryParse(string? text, out SnapshotHash hash)
    {
        var trimmed = text?.Trim();
        if (trimmed is not { Length: Length } || !trimmed.All(char.IsAsciiHexDigit))
        {
            hash = default;
            return false;
        }
        hash = new SnapshotHash(trimmed.ToLowerInvariant());
        return true;
    }

    /// <summary>
    /// <paramref name="text"/> as a hash, or <see cref="RequestError.MalformedId"/> naming <paramref name="argument"/>
    /// and saying what a hash looks like.
    /// </summary>
    public static SnapshotHash Parse(string? text, string argument) =>
        TryParse(text, out var hash)
            ? hash
            : throw new SnapshotRequestException(RequestError.MalformedId, string.IsNullOrWhiteSpace(text)
                ? $"'{argument}' is missing: give a snapshot hash ({Form})."
                : $"'{argument}' value {RefusalText.Quoted(text)} is not a snapshot hash: give {Form}.");

    /// <summary>What a hash looks like, as refusals say it.</summary>
    public const string Form = "40 hexadecimal digits, as track or history return them";

    public override string ToString() => Hex;
}
