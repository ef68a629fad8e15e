using System.Collections.Concurrent;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>
/// One lock per cached pack directory in the process: laying out a pack fetched from the backend, moving a published
/// pack into place and evicting a pack never interleave there (each of them could otherwise truncate or delete what
/// another just put, under a reader that has it open). Every <see cref="ObjectStore"/> of a workspace opened on the
/// silo (the grain's, each diff's) shares it.
/// </summary>
internal static class PackDirectoryGates
{
    private static readonly ConcurrentDictionary<string, Lock> s_gates = new(StringComparer.Ordinal);

    public static Lock For(string packDirectory) => s_gates.GetOrAdd(packDirectory, _ => new Lock());
}
