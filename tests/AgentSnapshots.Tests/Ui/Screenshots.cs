using Microsoft.Playwright;

namespace AgentSnapshots.Tests.Ui;

/// <summary>
/// Saves the UI tests' screenshots beside the test build (<c>bin/.../screenshots</c>), so a test run leaves the
/// checkout as it was; with <c>AGENTSNAPSHOTS_UPDATE_SCREENSHOTS=1</c> into docs/ui/ of this checkout instead (the
/// README shows those).
/// </summary>
public static class Screenshots
{
    public const string UpdateVariable = "AGENTSNAPSHOTS_UPDATE_SCREENSHOTS";

    public static string Directory()
    {
        if (Environment.GetEnvironmentVariable(UpdateVariable) != "1")
        {
            return System.IO.Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                return System.IO.Directory.CreateDirectory(Path.Combine(dir.FullName, "docs", "ui")).FullName;
            }
        }
        throw new DirectoryNotFoundException($"No Orleans.sln above {AppContext.BaseDirectory}.");
    }

    public static async Task SaveAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var path = Path.Combine(Directory(), name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 0, $"The screenshot {path} is empty.");
    }
}
