using Microsoft.Playwright;

namespace AgentSnapshots.Tests.Ui;

/// <summary>Moves the focus with Tab only, as a keyboard user does.</summary>
public static class Keyboard
{
    /// <summary>Presses Tab until the focused element's text is <paramref name="text"/> (and it matches <paramref name="selector"/>, if given); fails after 80 presses.</summary>
    public static async Task TabToAsync(IPage page, string text, string? selector = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        for (var i = 0; i < 80; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var matches = await page.EvaluateAsync<bool>(
                "([text, selector]) => { const e = document.activeElement; return !!e && (selector ? e.matches(selector) : e.textContent.trim() === text); }",
                new[] { text, selector ?? "" });
            if (matches)
            {
                return;
            }
        }
        Assert.Fail($"Tab never reached '{text}'{(selector is null ? "" : $" ({selector})")} on {page.Url}.");
    }
}
