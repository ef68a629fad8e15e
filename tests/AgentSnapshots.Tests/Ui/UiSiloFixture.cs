using System.Globalization;
using System.Text.Json;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;
using Microsoft.Playwright;

namespace AgentSnapshots.Tests.Ui;

/// <summary>
/// A real silo process with two tenants (each with its key and its own root, as <see cref="TenantSiloFixture"/>) and
/// small summary caps, so a step shows omitted files and cut previews with few files; and one headless Chromium.
/// </summary>
public sealed class UiSiloFixture : IAsyncLifetime
{
    public const string A = TenantSiloFixture.A;
    public const string B = TenantSiloFixture.B;

    /// <summary>Summary:MaxFiles of the silo.</summary>
    public const int SummaryFiles = 6;

    /// <summary>Snapshots:MaxFileBytes of the silo: a larger file is skipped (and the step says so).</summary>
    public const int MaxFileBytes = 64 * 1024;

    private readonly TempDirectory _temp = new("as-ui");
    private int _workspaces;

    public string KeyA { get; } = TenantSiloFixture.NewKey();

    public string KeyB { get; } = TenantSiloFixture.NewKey();

    public string RootA => _temp.Combine("work", "a");

    public string RootB => _temp.Combine("work", "b");

    public SiloProcess Silo { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["Snapshots__Summary__MaxFiles"] = SummaryFiles.ToString(CultureInfo.InvariantCulture),
            ["Snapshots__Summary__MaxPatchBytesPerFile"] = "600",
            ["Snapshots__MaxFileBytes"] = MaxFileBytes.ToString(CultureInfo.InvariantCulture),
        };
        TenantSiloFixture.AddTenant(settings, A, KeyA, RootA);
        TenantSiloFixture.AddTenant(settings, B, KeyB, RootB);
        Silo = await SiloProcess.StartAsync(_temp.Combine("data"), _temp.Combine("work"), _temp.Path, settings);
        (Playwright, Browser) = await Chromium.LaunchAsync();
    }

    /// <summary>An API client with <paramref name="key"/>.</summary>
    public ApiClient ApiFor(string key) => new(Silo.HttpAddress, key);

    /// <summary>A new workspace under <paramref name="root"/> holding the given files (path, text).</summary>
    public string NewWorkspace(string root, params (string Path, string Text)[] files)
    {
        var dir = Path.Combine(root, $"ws{Interlocked.Increment(ref _workspaces)}");
        Directory.CreateDirectory(dir);
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        return dir;
    }

    /// <summary>Tracks session <paramref name="session"/> through the API with <paramref name="key"/>; returns the snapshot's hash.</summary>
    public async Task<string> TrackAsync(string key, string session, string? dir, string label)
    {
        using var api = ApiFor(key);
        var reply = await api.PostAsync($"/v1/sessions/{session}/snapshots", new { dir, label });
        return reply.Ok().GetProperty("hash").GetString()!;
    }

    /// <summary>A one-time login link made with <paramref name="key"/> (relative URL), leading to <paramref name="next"/>.</summary>
    public async Task<string> LoginLinkAsync(string key, string? next = null)
    {
        using var api = ApiFor(key);
        var reply = await api.PostAsync("/v1/login-links", next is null ? null : JsonSerializer.Serialize(new { next }));
        return reply.Ok().GetProperty("url").GetString()!;
    }

    /// <summary>A fresh browser context (its own cookies) logged in as <paramref name="key"/>'s tenant, on <paramref name="next"/>.</summary>
    public async Task<UiPage> LoginAsync(string key, string? next = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Silo.HttpAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = new UiPage(context, await context.NewPageAsync());
        var response = await page.Page.GotoAsync(await LoginLinkAsync(key, next));
        Assert.True(response is { Ok: true }, $"login: {response?.Status} {page.Page.Url}");
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Silo is not null) await Silo.DisposeAsync();
        _temp.Dispose();
    }
}
