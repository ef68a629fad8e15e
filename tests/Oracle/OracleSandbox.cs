using System.Diagnostics;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.Watching;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>
/// A temp directory holding the workspace (<c>work</c>), the repository the layout calls for, and one engine
/// workspace per tracked path (each with its own data directory and watch registry, as a silo of its own). Plays
/// entries: applies file operations, and at each track compares every path's tree with git's tree of the same moment.
/// </summary>
public sealed class OracleSandbox : IDisposable
{
    private readonly List<TrackedPath> _tracked;

    public OracleSandbox(OracleLayout layout, IReadOnlyList<OraclePath> paths)
    {
        Layout = layout;
        Top = WorkspaceIdentity.RealPath(Directory.CreateTempSubdirectory("as-oracle-").FullName)!;
        Work = Directory.CreateDirectory(Path.Join(Top, "work")).FullName;
        Git = new GitReference(Top, layout);
        _tracked = paths.Select((p, i) => new TrackedPath(p, Top, Work, i)).ToList();
        foreach (var t in _tracked) t.Reopen(freshData: false);
    }

    public OracleLayout Layout { get; }

    /// <summary>The sandbox's top: entries' paths are relative to it.</summary>
    public string Top { get; }

    /// <summary>The workspace the engine tracks (<c>Top/work</c>).</summary>
    public string Work { get; }

    public GitReference Git { get; }

    /// <summary>Time spent in git's side of the comparisons (for the run's figures).</summary>
    public TimeSpan GitTime { get; private set; }

    /// <summary>Time spent in the engine's tracks.</summary>
    public TimeSpan TrackTime { get; private set; }

    /// <summary>Applies <paramref name="entry"/>; at a track, returns the paths whose tree differs from git's (when <paramref name="compare"/>).</summary>
    public IReadOnlyList<OracleMismatch> Play(OracleEntry entry, int index, bool compare = true)
    {
        switch (entry)
        {
            case Track:
                return compare ? TrackAndCompare(index) : TrackOnly();
            case Restart:
                foreach (var t in _tracked) t.Reopen(freshData: false);
                return [];
            case TrackWhileEditing editing:
                TrackWhileEditing(editing.Edits);
                return [];
            default:
                entry.Apply(Top);
                return [];
        }
    }

    /// <summary>Forgets what <paramref name="path"/>'s engine saw (a fresh data directory), so a run goes on past a mismatch with independent findings.</summary>
    public void Reset(string path)
    {
        foreach (var t in _tracked.Where(t => t.Path.Name == path)) t.Reopen(freshData: true);
    }

    private List<OracleMismatch> TrackAndCompare(int index)
    {
        var started = Stopwatch.GetTimestamp();
        var expected = Git.TreeNow();
        GitTime += Stopwatch.GetElapsedTime(started);
        var mismatches = new List<OracleMismatch>();
        foreach (var t in _tracked)
        {
            SnapshotTaken taken;
            var tracking = Stopwatch.GetTimestamp();
            try
            {
                taken = t.Workspace.Snapshot();
                TrackTime += Stopwatch.GetElapsedTime(tracking);
            }
            catch (Exception e) when (e is EngineException or IOException or UnauthorizedAccessException)
            {
                mismatches.Add(new OracleMismatch(t.Path.Name, index, expected, $"failed: {e.GetType().Name}: {e.Message}", null, [], []));
                continue;
            }
            if (taken.Hash != expected)
            {
                mismatches.Add(new OracleMismatch(t.Path.Name, index, expected, taken.Hash, taken.FullWalk, Differences(expected, taken.Hash, t.Workspace.Store.GitDir), taken.Skipped));
            }
        }
        return mismatches;
    }

    private List<OracleMismatch> TrackOnly()
    {
        foreach (var t in _tracked) TrySnapshot(t);
        return [];
    }

    private void TrackWhileEditing(IReadOnlyList<WriteFile> edits)
    {
        using var tracked = new ManualResetEventSlim();
        var writer = Task.Run(() =>
        {
            do
            {
                foreach (var edit in edits) edit.Apply(Top);
            }
            while (!tracked.IsSet);
        });
        foreach (var t in _tracked) TrySnapshot(t);
        tracked.Set();
        writer.GetAwaiter().GetResult();
    }

    /// <summary>A track that is not compared: it may fail (a concurrent edit, a tree git would differ on); the next compared track tells.</summary>
    private static void TrySnapshot(TrackedPath t)
    {
        try
        {
            t.Workspace.Snapshot();
        }
        catch (Exception e) when (e is EngineException or IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The paths whose entries differ between git's tree and the snapshot's, as "+ only in git", "- only in the snapshot", "~ differs".</summary>
    private List<string> Differences(string expected, string actual, string storeGitDir)
    {
        static Dictionary<string, string> ByPath(IEnumerable<string> lines) =>
            lines.Select(l => l.Split('\t', 2)).ToDictionary(p => p[1], p => p[0], StringComparer.Ordinal);
        var git = ByPath(Git.List(expected));
        var ours = ByPath(Git.List(actual, storeGitDir));
        var differences = new List<string>();
        foreach (var path in git.Keys.Union(ours.Keys).Order(StringComparer.Ordinal))
        {
            var inGit = git.GetValueOrDefault(path);
            var inOurs = ours.GetValueOrDefault(path);
            if (inGit == inOurs) continue;
            differences.Add(inOurs is null ? $"+ {path} (only in git's tree: {inGit})"
                : inGit is null ? $"- {path} (only in the snapshot: {inOurs})"
                : $"~ {path} (git {inGit}, snapshot {inOurs})");
        }
        return differences;
    }

    public void Dispose()
    {
        foreach (var t in _tracked) t.Dispose();
        try
        {
            Directory.Delete(Top, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>One path's engine: its options, its watch registry (a silo's), its workspace; reopened as a silo restart would.</summary>
    private sealed class TrackedPath(OraclePath path, string top, string work, int number) : IDisposable
    {
        private int _generation;
        private WatchRegistry _watches = null!;

        public OraclePath Path { get; } = path;

        public Workspace Workspace { get; private set; } = null!;

        public void Reopen(bool freshData)
        {
            if (Workspace is not null) Dispose();
            if (freshData) _generation++;
            var options = new SnapshotsOptions
            {
                DataDir = System.IO.Path.Join(top, $"data-{number}-{_generation}"),
                WorkspaceRoots = [top],
                Watch = new WatchOptions { Enabled = Path.Watch },
            };
            _watches = new WatchRegistry(options.Watch, NullLogger<WatchRegistry>.Instance);
            Workspace = Path.Open(work, options, _watches);
        }

        public void Dispose()
        {
            Workspace.Dispose();
            _watches.Dispose();
        }
    }
}
