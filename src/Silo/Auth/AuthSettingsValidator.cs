using AgentSnapshots.Engine;
using AgentSnapshots.Silo.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// Who may reach the HTTP API: well-formed tenants whose roots lie under <c>Snapshots:WorkspaceRoots</c> and do not
/// overlap, and neither the local key's API (one user's, every workspace) nor the unauthenticated dashboard on an address other machines can reach.
/// </summary>
internal sealed class AuthSettingsValidator(IOptions<HttpSettings> http, IOptions<SnapshotsOptions> snapshots, IConfiguration configuration)
    : IValidateOptions<AuthSettings>
{
    public ValidateOptionsResult Validate(string? name, AuthSettings options)
    {
        var failures = new List<string>();
        var roots = new List<(string Tenant, string Root)>();
        var allowed = snapshots.Value.EffectiveWorkspaceRoots.Select(Normalize).ToList();
        foreach (var (tenant, settings) in options.Tenants)
        {
            var key = $"Auth:Tenants:{tenant}";
            if (!SessionIds.IsValidTenant(tenant.ToLowerInvariant()))
            {
                failures.Add($"{key}: the tenant name must be 1 to {SessionIds.MaxTenantLength} characters from letters, digits, _ and -, starting with a letter or digit");
            }
            if (settings.KeySha256 is not { Length: 64 } hash || !hash.All(char.IsAsciiHexDigitLower))
            {
                failures.Add($"{key}:KeySha256 must be the lowercase hexadecimal SHA-256 of the tenant's key: the 64 characters 'printf %s \"$KEY\" | sha256sum' prints first.");
            }
            if (settings.WorkspaceRoots.Count == 0)
            {
                failures.Add($"{key}:WorkspaceRoots is empty: list the absolute directories this tenant's workspaces must lie under.");
            }
            foreach (var root in settings.WorkspaceRoots)
            {
                if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root))
                {
                    failures.Add($"{key}:WorkspaceRoots entry '{root}' is not an absolute path: list absolute directories such as /srv/workspaces/{tenant}.");
                    continue;
                }
                var full = Normalize(root);
                if (!allowed.Exists(a => Within(full, a)))
                {
                    failures.Add($"{key}:WorkspaceRoots entry '{root}' is not under Snapshots:WorkspaceRoots ({string.Join(", ", allowed)}): choose a directory under one of them, or add a root there.");
                }
                roots.Add((tenant, full));
            }
        }

        foreach (var (a, b) in roots.SelectMany(a => roots.Select(b => (a, b))))
        {
            if (!string.Equals(a.Tenant, b.Tenant, StringComparison.OrdinalIgnoreCase) && Within(a.Root, b.Root))
            {
                failures.Add($"Auth:Tenants:{a.Tenant}:WorkspaceRoots entry '{a.Root}' lies under '{b.Root}' of tenant '{b.Tenant}': a workspace belongs to one tenant, so tenants' roots must not overlap.");
            }
        }

        var listener = http.Value;
        if (listener.Port != 0 && listener.ListenAddress() is not null && !listener.IsLoopback)
        {
            if (options.Tenants.Count == 0)
            {
                failures.Add($"{HttpSettings.HostKey} '{listener.Host}' is not a loopback address and no Auth:Tenants are configured: the local key is this machine's user's, and opens every workspace under Snapshots:WorkspaceRoots to whoever holds it: configure a tenant (Auth:Tenants:<name>:KeySha256 and WorkspaceRoots), or set {HttpSettings.HostKey} to 127.0.0.1.");
            }
            if (configuration.GetValue(SiloHttp.DashboardKey, defaultValue: false))
            {
                failures.Add($"{SiloHttp.DashboardKey} is true and {HttpSettings.HostKey} '{listener.Host}' is not a loopback address: the dashboard takes no key and shows every tenant's sessions; enable it only with a loopback {HttpSettings.HostKey}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    private static bool Within(string path, string root) => root == "/" || RelativePath.IsWithin(path, root);
}
