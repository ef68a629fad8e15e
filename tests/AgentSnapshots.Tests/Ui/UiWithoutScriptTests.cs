using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AgentSnapshots.Tests.Ui;

/// <summary>
/// The web UI with JavaScript switched off in the browser: a long timeline shows a page at a time, newest first, and
/// its pages, the compare form and a restore all work; no page carries the key. With JavaScript on, the timeline's
/// page weight (page, stylesheet, script and its live rows fetch) stays under the 300 KiB.
/// </summary>
[Collection(UiCollectionDefinition.Name)]
public sealed class UiWithoutScriptTests(UiSiloFixture fixture)
{
    /// <summary>TimelineRows.PageSize of the UI plus a few: two pages.</summary>
    private const int Steps = 55;

    [Fact]
    public async Task A_long_timeline_pages_newest_first_and_compare_and_restore_work_without_javascript()
    {
        var dir = fixture.NewWorkspace(fixture.RootA, ("log.txt", "start\n"));
        var hashes = new List<string>();
        for (var i = 1; i <= Steps; i++)
        {
            File.AppendAllText(Path.Combine(dir, "log.txt"), $"step {i}\n");
            hashes.Add(await fixture.TrackAsync(fixture.KeyA, "paged", i == 1 ? dir : null, $"step {i}"));
        }
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.Silo.HttpAddress.ToString(), JavaScriptEnabled = false });
        await using var ui = new UiPage(context, await context.NewPageAsync());
        var page = ui.Page;
        await page.GotoAsync(await fixture.LoginLinkAsync(fixture.KeyA, "/ui/sessions/paged"));

        var rows = page.Locator("table.timeline tbody tr");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(rows.First).ToHaveIdAsync($"snap-{Steps}");
        await Expect(rows.Last).ToHaveIdAsync($"snap-{Steps - 49}");
        await Expect(page.Locator(".pager")).ToContainTextAsync("Page 1 of 2");
        await page.GetByRole(AriaRole.Link, new() { Name = "Older" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(Steps - 50);
        await Expect(rows.First).ToHaveIdAsync($"snap-{Steps - 50}");
        await Expect(rows.Last).ToHaveIdAsync("snap-1");

        // Compare snapshot 1 with snapshot 3: the form is a plain GET.
        await page.GetByRole(AriaRole.Radio, new() { Name = "Compare from snapshot 1", Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Radio, new() { Name = "Compare to snapshot 3", Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare the chosen snapshots" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Compare two snapshots");
        await Expect(page.Locator("table.files tbody tr .counts .add")).ToHaveTextAsync("+2");

        // A restore posted without this service's Origin changes nothing, whatever cookie it carries.
        foreach (var origin in new[] { "", "http://attacker.example" })
        {
            var form = page.Context.APIRequest.CreateFormData();
            form.Set("to", hashes[0]);
            var forged = await page.APIRequest.PostAsync("/ui/sessions/paged/actions/restore", new()
            {
                Headers = origin.Length == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { ["Origin"] = origin },
                Form = form,
            });
            Assert.True(forged.Status is 400 or 403, $"Origin '{origin}': {forged.Status}");
        }
        Assert.EndsWith($"step {Steps}\n", File.ReadAllText(Path.Combine(dir, "log.txt")), StringComparison.Ordinal);

        // Restore snapshot 1: the confirmation's button posts the form, the browser sends its Origin.
        await page.GotoAsync($"/ui/sessions/paged/restore?to={hashes[0]}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore all 1 file" }).ClickAsync();
        await Expect(page.Locator("h1")).ToContainTextAsync("Restored to");
        Assert.Equal("start\nstep 1\n", File.ReadAllText(Path.Combine(dir, "log.txt")));
        Assert.DoesNotContain(fixture.KeyA, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.KeyA, page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_timeline_of_a_long_session_weighs_under_300_KiB()
    {
        var dir = fixture.NewWorkspace(fixture.RootA, ("log.txt", "start\n"));
        for (var i = 1; i <= Steps; i++)
        {
            File.AppendAllText(Path.Combine(dir, "log.txt"), $"a longer line for step {i}\n");
            await fixture.TrackAsync(fixture.KeyA, "weight", i == 1 ? dir : null, $"tool: Edit log.txt with a label of some length ({i})");
        }
        await using var ui = await fixture.LoginAsync(fixture.KeyA, "/ui/sessions/weight");
        var page = ui.Page;
        // The live script fetches the newest rows once its stream opens: part of the page's weight.
        await page.WaitForFunctionAsync("() => performance.getEntriesByType('resource').some(e => e.name.includes('/rows'))");
        var transferred = await page.EvaluateAsync<double>(
            "() => performance.getEntriesByType('navigation')[0].transferSize + performance.getEntriesByType('resource').reduce((s, r) => s + r.transferSize, 0)");
        TestContext.Current.TestOutputHelper?.WriteLine($"timeline of {Steps} steps: {transferred / 1024:F1} KiB transferred");
        Assert.InRange(transferred, 1, 300 * 1024);
        Assert.DoesNotContain(fixture.KeyA, await page.ContentAsync(), StringComparison.Ordinal);
        ui.AssertNoConsoleErrors();
    }
}
