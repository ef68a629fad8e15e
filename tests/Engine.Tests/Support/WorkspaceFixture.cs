using AgentSnapshots.Engine;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// A temp working directory, a data directory beside it, and the engine's Workspace over them: read through the
/// Linux directory handles, or the portable reader (<c>portable</c>); with the file watcher when <c>watches</c> is given.
/// </summary>
public sealed class WorkspaceFixture : IDisposable
{
    private readonly TempDirectory _temp = new("as-ws");
    private readonly bool _portable;
    private readonly WatchRegistry? _watches;

    public WorkspaceFixture(Action<SnapshotsOptions>? configure = null, bool portable = false, WatchRegistry? watches = null)
    {
        _portable = portable;
        _watches = watches;
        Root = Directory.CreateDirectory(_temp.Combine("work")).FullName;
        Options = new SnapshotsOptions { DataDir = _temp.Combine("data"), WorkspaceRoots = [_temp.Path] };
        configure?.Invoke(Options);
        Workspace = Open(Root);
    }

    public string Root { get; }

    public SnapshotsOptions Options { get; }

    public Workspace Workspace { get; }

    /// <summary>A Workspace over <paramref name="directory"/> with this fixture's options, reader and watcher (the caller disposes it).</summary>
    public Workspace Open(string directory) =>
        Workspace.Open(WorkspaceIdentity.RealPath(directory)!, Options, null, _watches, _portable);

    public string TempPath => _temp.Path;

    public string Path(string relative) => RelativePath.ToAbsolute(Root, relative);

    public string Write(string relative, string text)
    {
        var full = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public string Read(string relative) => File.ReadAllText(Path(relative));

    public bool Exists(string relative) => File.Exists(Path(relative)) || Directory.Exists(Path(relative));

    /// <summary>
    /// Moves every file's mtime an hour back and waits until their ctimes (set to now by that) are older than the
    /// racy window, so the snapshot index trusts them.
    /// </summary>
    public void AgeAllFiles()
    {
        var old = DateTime.UtcNow.AddHours(-1);
        foreach (var f in Directory.EnumerateFiles(Root, "*", SymlinkFreeWalk.Options))
        {
            File.SetLastWriteTimeUtc(f, old);
        }
        WaitOutRacyWindow();
    }

    /// <summary>Waits until every ctime set so far is older than the racy window, so the next snapshot trusts what it reads.</summary>
    public static void WaitOutRacyWindow() =>
        Thread.Sleep(TimeSpan.FromTicks(TreeWalk.RacyWindowNs / 100) + TimeSpan.FromMilliseconds(100));

    /// <summary>The snapshot's files as "mode path" lines, via the real git reading our store.</summary>
    public string[] ListTree(string tree) =>
        Git.Run(Root, "--git-dir", Workspace.Store.GitDir, "ls-tree", "-r", "--full-tree", tree)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0] + " " + l.Split('\t', 2)[1])
            .ToArray();

    public string[] ListPaths(string tree) => ListTree(tree).Select(l => l.Split(' ', 2)[1]).ToArray();

    public void Dispose()
    {
        Workspace.Dispose();
        _temp.Dispose();
    }
}
