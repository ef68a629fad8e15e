using Microsoft.Playwright;

namespace AgentSnapshots.Tests.Ui;

/// <summary>Saves the UI tests' screenshots into docs/ui/ of this checkout (the README shows them).</summary>
public static class Screenshots
{
    public static string Directory()
    {
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
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory(), name + ".png"), FullPage = true });
    }
}
