using System.Globalization;
namespace AgentSnapshots.Tests.Support;

/// <summary>
/// One real silo process for a test class, reached over its real gateway (by the CLI or the SDK): data under
/// <c>data</c>, the workspace root <c>work</c> (also the CLI's current directory, so relative <c>--dir</c> values
/// resolve under it), files over <see cref="MaxFileBytes"/> skipped. Tests share it and use their own sessions and
/// workspaces.
/// </summary>
public sealed class SiloProcessFixture : IAsyncLifetime
{
    public const long MaxFileBytes = 1 << 20;

    private readonly TempDirectory _temp = new("as-silo");

    public string Root => _temp.Combine("work");

    /// <summary>A directory outside the workspace root.</summary>
    public string Outside => _temp.Combine("outside");

    public SiloProcess Silo { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        Silo = await SiloProcess.StartAsync(_temp.Combine("data"), Root, Root, new Dictionary<string, string>
        {
            ["Snapshots__MaxFileBytes"] = MaxFileBytes.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>A new workspace directory under the root, named <paramref name="name"/> (unique per test).</summary>
    public string NewWorkspace(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    public async ValueTask DisposeAsync()
    {
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }
        _temp.Dispose();
    }
}
