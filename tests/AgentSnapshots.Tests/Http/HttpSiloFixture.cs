using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>
/// A real silo process serving the HTTP API on a free loopback port, without tenants (so the API takes the silo's
/// local key and shares session names with the CLI), listing at most three paths per reply so paging shows with few files.
/// </summary>
public class HttpSiloFixture : IAsyncLifetime
{
    public const int MaxListedPaths = 3;

    private readonly TempDirectory _temp = new("as-http");
    private int _workspaces;

    public SiloProcess Silo { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    /// <summary>Snapshots:WorkspaceRoots of the silo.</summary>
    public string Root => _temp.Combine("work");

    /// <summary>Snapshots:DataDir of the silo.</summary>
    public string DataDir => _temp.Combine("data");

    /// <summary>The object store (a bare git repository) of workspace <paramref name="workspaceId"/>.</summary>
    public string StoreOf(string workspaceId) => Path.Combine(DataDir, "workspaces", workspaceId);

    /// <summary>A directory outside the silo's workspace roots.</summary>
    public string Outside => _temp.Combine("outside");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        var settings = new Dictionary<string, string>
        {
            ["Snapshots__MaxListedPaths"] = MaxListedPaths.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        AddSettings(settings);
        Silo = await SiloProcess.StartAsync(DataDir, Root, Root, settings);
        Api = new ApiClient(Silo.HttpAddress, ApiKey);
    }

    /// <summary>The key <see cref="Api"/> sends: the silo's local key.</summary>
    protected virtual string? ApiKey => Silo.LocalKey;

    /// <summary>Further settings of the silo (environment variables), for fixtures that configure more.</summary>
    protected virtual void AddSettings(Dictionary<string, string> settings)
    {
    }

    /// <summary>A new workspace under the roots holding the given files (path, text).</summary>
    public string NewWorkspace(params (string Path, string Text)[] files) => NewWorkspaceUnder(Root, files);

    /// <summary>A new workspace under <paramref name="parent"/> holding the given files (path, text).</summary>
    public string NewWorkspaceUnder(string parent, params (string Path, string Text)[] files)
    {
        var dir = Path.Combine(parent, $"ws{Interlocked.Increment(ref _workspaces)}");
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        Directory.CreateDirectory(dir);
        return dir;
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Api?.Dispose();
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }
        _temp.Dispose();
    }
}
