using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// The directories each HTTP API tenant's workspaces must lie under, by tenant name (lowercase, as grain keys hold
/// it). The silo fills them from its tenants' settings (<c>Auth:Tenants:&lt;name&gt;:WorkspaceRoots</c>); the session
/// grain of a tenant's session (key <c>tenant@name</c>) touches no workspace outside them. A tenant not listed has no
/// roots: its sessions touch no workspace at all.
/// </summary>
public sealed class TenantWorkspaceRoots
{
    public Dictionary<string, List<string>> Roots { get; } = new(StringComparer.Ordinal);

    /// <summary>The roots of <paramref name="tenant"/> as configured (none if it is not configured).</summary>
    public IReadOnlyList<string> Of(string tenant) => Roots.TryGetValue(tenant, out var roots) ? roots : [];

    /// <summary>
    /// Whether canonical directory <paramref name="directory"/> lies under one of the roots of <paramref name="tenant"/>,
    /// the roots resolved now (a root that is a symlink counts where it points). Reads the file system.
    /// </summary>
    public bool Covers(string tenant, string directory) =>
        Of(tenant).Select(WorkspaceIdentity.RealPath).OfType<string>()
            .Any(root => root == "/" || RelativePath.IsWithin(directory, Path.TrimEndingDirectorySeparator(root)));
}
