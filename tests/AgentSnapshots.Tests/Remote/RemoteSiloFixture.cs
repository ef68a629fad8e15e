using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Remote;

/// <summary>
/// A real silo whose workspace roots cover only a directory of its own: the agents' directories (under
/// <see cref="Sandboxes"/>) are outside them, so everything the silo records of them came through an agent.
/// </summary>
public sealed class RemoteSiloFixture : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("as-remote");
    private int _next;

    public SiloProcess Silo { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public string DataDir => _temp.Combine("data");

    /// <summary>Where agents' directories and caches live: not under the silo's workspace roots.</summary>
    public string Sandboxes => _temp.Combine("sandboxes");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_temp.Combine("silo-root"));
        Directory.CreateDirectory(Sandboxes);
        Silo = await SiloProcess.StartAsync(DataDir, _temp.Combine("silo-root"), _temp.Combine("silo-root"));
        Api = new ApiClient(Silo.HttpAddress, Silo.LocalKey);
    }

    /// <summary>A new empty sandbox directory and an agent cache directory for it.</summary>
    public (string Directory, string Cache) NewSandbox()
    {
        var n = Interlocked.Increment(ref _next);
        var dir = Path.Combine(Sandboxes, $"sandbox-{n}");
        Directory.CreateDirectory(dir);
        return (dir, Path.Combine(Sandboxes, $"cache-{n}"));
    }

    /// <summary>The silo's store of remote workspace <paramref name="name"/> (the local user's: no tenants here).</summary>
    public string StoreOf(string name) => Path.Combine(DataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceNames.IdentityOf(null, name)));

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Silo.DisposeAsync();
        _temp.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RemoteSiloGroup : ICollectionFixture<RemoteSiloFixture>
{
    public const string Name = "remote silo";
}
