namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// A configured API tenant: its name (lowercase; the prefix of its sessions' grain keys) and key hash. Its workspace
/// roots are the session grains' to apply (<see cref="TenantWorkspaceRoots"/>).
/// </summary>
public sealed class Tenant(string name, byte[] keySha256)
{
    public string Name { get; } = name;

    internal byte[] KeySha256 { get; } = keySha256;
}
