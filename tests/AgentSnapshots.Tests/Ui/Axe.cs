using System.Text;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace AgentSnapshots.Tests.Ui;

/// <summary>axe-core's checks of a page: serious and critical violations are failures, listed with where they are.</summary>
public static class Axe
{
    public static async Task CheckAsync(IPage page, string name, StringBuilder failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        var results = await page.RunAxe();
        foreach (var violation in results.Violations.Where(v => v.Impact is "serious" or "critical"))
        {
            failures.AppendLine($"{name}: {violation.Impact} {violation.Id}: {violation.Help} at {string.Join(", ", violation.Nodes.Take(3).Select(n => n.Html))}");
        }
    }
}
