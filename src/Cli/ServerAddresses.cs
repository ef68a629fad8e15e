using System.Net;

namespace AgentSnapshots.Cli;

/// <summary>
/// The silos' HTTP API addresses a command line names: <c>--server URL[,URL...]</c>, else <c>$AGENTSNAPSHOTS_URL</c>,
/// else the silo on this machine (<see cref="Default"/>, the silo's default <c>Http:Port</c>).
/// </summary>
internal static class ServerAddresses
{
    public const string Variable = "AGENTSNAPSHOTS_URL";

    public const string Default = "http://127.0.0.1:5180";

    /// <summary>The addresses, or the one line that says what is wrong with them.</summary>
    public static bool TryParse(string? text, out IReadOnlyList<Uri> servers, out string problem)
    {
        servers = [];
        problem = "";
        var parts = text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (parts.Length == 0)
        {
            problem = "is empty: pass the silo's HTTP address, e.g. " + Default;
            return false;
        }
        var list = new List<Uri>(parts.Length);
        foreach (var part in parts)
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                problem = $"'{part}' is not an http:// or https:// address of a silo (e.g. {Default}, the silo's Http:Port)";
                return false;
            }
            // A base path (a silo behind a proxy at /agentsnapshots) is kept: the API's paths are resolved under it.
            list.Add(uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/"));
        }
        servers = list;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="server"/> is on this machine: localhost or a loopback address (127.0.0.0/8, ::1), by
    /// name only (nothing is resolved, so no DNS answer can make a remote server look local).
    /// </summary>
    public static bool OnThisMachine(Uri server) =>
        server.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(server.Host.TrimStart('[').TrimEnd(']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>An address as error lines show it (without the trailing slash people do not type).</summary>
    public static string Shown(Uri server) => server.AbsolutePath == "/" ? server.GetLeftPart(UriPartial.Authority) : server.ToString().TrimEnd('/');
}
