namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// Who may use the HTTP API (section <c>Auth</c>): the tenants, each with its key; without tenants, the local user
/// with the local key (<see cref="LocalKey"/>, else the contents of <see cref="LocalKeyFile"/>). There is no keyless mode.
/// </summary>
public sealed class AuthSettings
{
    public const string SectionName = "Auth";
    public const string LocalKeyKey = "Auth:LocalKey";
    public const string LocalKeyFileKey = "Auth:LocalKeyFile";

    /// <summary>The local key itself (for deployments that hand it over in the environment); overrides the file.</summary>
    public string? LocalKey { get; set; }

    /// <summary>The file holding the local key; empty: <c>${XDG_CONFIG_HOME:-$HOME/.config}/agentsnapshots/local.key</c>.</summary>
    public string? LocalKeyFile { get; set; }

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
