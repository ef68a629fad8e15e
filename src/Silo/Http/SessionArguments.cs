using AgentSnapshots.Engine;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// The checks of a session operation's arguments that the HTTP API and the MCP tools share: snapshot hashes and
/// revert's paths, refused with the API's problem codes and a detail naming the argument.
/// </summary>
internal static class SessionArguments
{
    /// <summary>A required snapshot hash argument, parsed (<see cref="SnapshotHash.Parse"/>); missing, it is the API's own refusal.</summary>
    public static SnapshotHash Hash(string? value, string name) =>
        string.IsNullOrEmpty(value)
            ? throw new ApiProblemException(ProblemCode.InvalidParameter, $"'{name}' is missing: give a snapshot hash ({SnapshotHash.Form}).")
            : SnapshotHash.Parse(value, name);

    /// <summary>An optional snapshot hash argument: null when absent, else as <see cref="Hash(string?, string)"/>.</summary>
    public static SnapshotHash? OptionalHash(string? value, string name) => string.IsNullOrEmpty(value) ? null : SnapshotHash.Parse(value, name);

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
