using Microsoft.Playwright;

namespace AgentSnapshots.Tests.Processes;

/// <summary>
/// The browser of the UI tests and bench: Debian's chromium (Playwright's own browser download is not reachable),
/// driven by the node driver the Microsoft.Playwright package bundles. A missing browser fails the tests with what
/// to install; it never skips them.
/// </summary>
public static class Chromium
{
    /// <summary>Names another Chromium executable (default <see cref="DefaultPath"/>).</summary>
    public const string Variable = "AGENTSNAPSHOTS_CHROMIUM";

    public const string DefaultPath = "/usr/bin/chromium";

    public static string Executable()
    {
        var path = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given ? given : DefaultPath;
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException(
                $"No Chromium at {path}: the web UI's tests need a real browser. Install Debian's (apt-get install chromium; .ci/run does) or set {Variable} to a Chromium executable.");
    }

    /// <summary>Starts Playwright's driver and a headless Chromium.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var executable = Executable();
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                // As root (CI) Chromium's sandbox cannot start; the pages are our own.
                ChromiumSandbox = false,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
