namespace AgentSnapshots.Silo.Auth;

/// <summary>The HTTP API's tenants (section <c>Auth</c>); none configured means the API takes no key.</summary>
public sealed class AuthSettings
{
    public const string SectionName = "Auth";

    /// <summary>Tenants by name (<c>Auth:Tenants:&lt;name&gt;</c>).</summary>
    public Dictionary<string, TenantSettings> Tenants { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One tenant: the hash of its key and the directories its workspaces must lie under.</summary>
public sealed class TenantSettings
{
    /// <summary>The lowercase hexadecimal SHA-256 of the tenant's key (the key itself is never configured).</summary>
    public string? KeySha256 { get; set; }

    /// <summary>Absolute directories, each under <c>Snapshots:WorkspaceRoots</c>, no two tenants' overlapping.</summary>
    public List<string> WorkspaceRoots { get; set; } = [];
}
