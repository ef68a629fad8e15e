using AgentSnapshots.Engine;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// The checks of a session operation's arguments that the HTTP API and the MCP tools share: snapshot hashes and
/// revert's paths, refused with the API's problem codes and a detail naming the argument.
/// </summary>
internal static class SessionArguments
{
    /// <summary>A snapshot hash argument in its canonical form (40 lowercase hex digits); null when optional and absent.</summary>
    public static string? Hash(string? value, string name, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            return required
                ? throw new ApiProblemException(ProblemCode.InvalidParameter, $"'{name}' is missing: give a snapshot hash (40 hexadecimal digits, from track or history).")
                : null;
        }
        if (!GitObjectId.TryParse(value.Trim().ToLowerInvariant(), out var id))
        {
            throw new ApiProblemException(ProblemCode.For(RequestError.MalformedId),
                $"'{name}' value '{MessageText.Shown(value)}' is not a snapshot hash: give 40 hexadecimal digits, as track or history print them.");
        }
        return id.ToHex();
    }

    /// <summary>
    /// Checks revert's relative paths here, so a refusal can say which entry it was; absolute paths are the session's
    /// to make relative to its workspace.
    /// </summary>
    public static void CheckRevertFiles(IReadOnlyList<string> files, string field)
    {
        foreach (var (file, index) in files.Select((f, i) => (f, i)).Where(f => !Path.IsPathRooted(f.f)))
        {
            try
            {
                RelativePath.Normalize(file);
            }
            catch (EngineException e)
            {
                throw new ApiProblemException(ProblemCode.For(RequestError.InvalidPath), $"Field '{field}[{index}]': {e.Message}");
            }
        }
    }
}
