using Microsoft.Playwright;

namespace AgentSnapshots.Tests.Ui;

/// <summary>A browser page of the UI with what it logged to the console (errors fail the tests that check them).</summary>
public sealed class UiPage : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    public UiPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (_errors) _errors.Add($"{message.Text} ({message.Location}, on {page.Url})");
        };
        page.PageError += (_, error) =>
        {
            lock (_errors) _errors.Add(error);
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Asserts the page logged no error (script errors, failed loads, CSP refusals).</summary>
    public void AssertNoConsoleErrors()
    {
        lock (_errors) Assert.True(_errors.Count == 0, "console errors:\n" + string.Join("\n", _errors));
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
