using System.Text.RegularExpressions;

namespace AgentSnapshots;

/// <summary>
/// Remote workspaces' names (<c>[A-Za-z0-9._-]{1,100}</c>, per tenant) and how a session bound to one records it:
/// <c>workspace:NAME</c> where a local session records its directory (never an absolute path, so never a directory).
/// </summary>
public static partial class WorkspaceNames
{
    public const int MaxLength = 100;

    private const string BindingPrefix = "workspace:";

    public static bool IsValid(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>What a session bound to remote workspace <paramref name="name"/> records as its workspace.</summary>
    public static string Binding(string name) => BindingPrefix + name;

    /// <summary>Whether a session's recorded workspace is a remote one.</summary>
    public static bool IsBinding(string? boundDirectory) => boundDirectory is not null && boundDirectory.StartsWith(BindingPrefix, StringComparison.Ordinal);

    /// <summary>The name in a remote binding.</summary>
    public static string NameOf(string binding) => binding[BindingPrefix.Length..];

    /// <summary>The text the workspace id of <paramref name="tenant"/>'s remote workspace <paramref name="name"/> is derived from (tenants apart).</summary>
    public static string IdentityOf(string? tenant, string name) => BindingPrefix + (tenant ?? "") + "/" + name;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex NamePattern();
}
