using AgentSnapshots.Engine;

namespace AgentSnapshots.Silo.Auth;

/// <summary>A configured API tenant: its name (lowercase; the prefix of its sessions' grain keys), key hash and roots.</summary>
public sealed class Tenant(string name, byte[] keySha256, IReadOnlyList<string> workspaceRoots)
{
    public string Name { get; } = name;

    internal byte[] KeySha256 { get; } = keySha256;

    public IReadOnlyList<string> WorkspaceRoots { get; } = workspaceRoots;

    /// <summary>Whether canonical directory <paramref name="directory"/> lies under one of the tenant's roots (resolved now).</summary>
    public bool Covers(string directory) =>
        WorkspaceRoots.Select(WorkspaceIdentity.RealPath).OfType<string>()
            .Any(root => root == "/" || RelativePath.IsWithin(directory, Path.TrimEndingDirectorySeparator(root)));
}
