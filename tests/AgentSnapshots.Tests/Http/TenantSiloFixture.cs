using System.Security.Cryptography;
using System.Text;

namespace AgentSnapshots.Tests.Http;

/// <summary>A real silo process whose API has two tenants, each with its key and its own root under the silo's.</summary>
public sealed class TenantSiloFixture : HttpSiloFixture
{
    public const string A = "team-a";
    public const string B = "team-b";

    /// <summary>Random keys, as an operator makes them; the silo is given only their hashes.</summary>
    public string KeyA { get; } = NewKey();

    public string KeyB { get; } = NewKey();

    public string RootA => Path.Combine(Root, "a");

    public string RootB => Path.Combine(Root, "b");

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The environment that configures a tenant.</summary>
    public static void AddTenant(Dictionary<string, string> settings, string name, string key, string root)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(root);
        settings[$"Auth__Tenants__{name}__KeySha256"] = HashOf(key);
        settings[$"Auth__Tenants__{name}__WorkspaceRoots__0"] = root;
    }

    /// <summary><see cref="HttpSiloFixture.Api"/> sends no key: each tenant's client sends its own.</summary>
    protected override string? ApiKey => null;

    protected override void AddSettings(Dictionary<string, string> settings)
    {
        AddTenant(settings, A, KeyA, RootA);
        AddTenant(settings, B, KeyB, RootB);
    }
}
