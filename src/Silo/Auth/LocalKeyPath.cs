namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// Where the local key file is by default: <c>${XDG_CONFIG_HOME:-$HOME/.config}/agentsnapshots/local.key</c>, an
/// empty or relative variable counting as unset (a relative path would put the key in the current directory).
/// Compiled into the CLI too, so the silo that writes the file and the CLI that reads it agree.
/// </summary>
internal static class LocalKeyPath
{
    public static string Default()
    {
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(config) || !Path.IsPathFullyQualified(config))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            config = Path.Combine(string.IsNullOrEmpty(home) || !Path.IsPathFullyQualified(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home, ".config");
        }
        return Path.Combine(config, "agentsnapshots", "local.key");
    }
}
