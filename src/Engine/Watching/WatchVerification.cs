using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Ignore;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.SystemCalls;
using AgentSnapshots.Engine.WorkingTree;
using AgentSnapshots.Engine.WorkingTree.Reading;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine.Watching;

/// <summary>What a verification checks: a workspace's root, settings and watch, and how the state it verifies was walked (the ignore sources above the root, the root's identity).</summary>
internal sealed record VerificationTarget(string Root, SnapshotsOptions Options, ILogger Logger, WorkspaceWatch Watch, string? DataDirectory,
    string AboveStamp, (ulong Device, ulong Inode) RootIdentity);

/// <summary>A verification's verdict and the paths the watcher missed (at most <see cref="WatchVerification.MaxListedPaths"/>).</summary>
public sealed record VerificationResult(VerificationOutcome Outcome, int Missed, IReadOnlyList<string> Paths);

/// <summary>
/// The watcher path's self-check: compares the view the next watched track would start from (the last snapshot's
/// state, plus the changes the watcher reported since) with a walk of the whole tree at stat level (names, kinds,
/// ignore decisions made afresh, size, modification time and mode; no content read). It starts at a point where no
/// track runs (<c>WorkingTreeSnapshotter.StartVerification</c>: a copy of the state, and a journal of every
/// event from then on), then walks on its own, so tracks go on meanwhile. A path that differs is a miss unless an
/// event explains it (its name, its directory read again, a .gitignore above it, a directory on its path gone).
/// A miss is logged once as an error naming the paths, counted (<c>agentsnapshots.watch.verifications</c>), and
/// healed: the next track walks in full (<see cref="FullWalkReason.VerifyMismatch"/>).
/// </summary>
public sealed class WatchVerification
{
    /// <summary>Most missed paths a verification lists (in its result and its log line).</summary>
    public const int MaxListedPaths = 20;

    private readonly VerificationTarget _target;
    private readonly StateCopy _state;
    private readonly int _generation;
    private readonly CancellationToken _stopping;
    private readonly List<Difference> _differences = [];
    private Dictionary<int, PendingDirectory>? _journal;
    private int _compared;

    private WatchVerification(VerificationTarget target, StateCopy state, int generation, CancellationToken stopping)
    {
        _target = target;
        _state = state;
        _generation = generation;
        _stopping = stopping;
    }

    /// <summary>
    /// Starts a verification of <paramref name="state"/> (which no track may change during this call); null when the
    /// watches cannot vouch for the tree now (the next track walks in full anyway). <paramref name="stopping"/> stops its walk.
    /// </summary>
    internal static WatchVerification? Start(VerificationTarget target, DirectoryState state, CancellationToken stopping)
    {
        if (!target.Watch.TryStartJournal(out var generation)) return null;
        return new WatchVerification(target, StateCopy.Of(state), generation, stopping);
    }

    /// <summary>Walks the tree, compares, and reports (and heals) a miss. Blocking file work; runs beside tracks, once.</summary>
    public VerificationResult Run()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var cpuBefore = ThreadCpuTime.Now();
        try
        {
            var result = Compare();
            SnapshotMetrics.WatchVerifications.Add(1, new KeyValuePair<string, object?>("outcome", result.Outcome.ToString().ToLowerInvariant()));
            if (result.Outcome == VerificationOutcome.Mismatch)
            {
                SnapshotMetrics.WatchMissedPaths.Add(result.Missed);
                _target.Watch.Distrust(FullWalkReason.VerifyMismatch);
                var paths = string.Join(", ", result.Paths);
                EngineLog.WatchMissed(_target.Logger, _target.Root, result.Missed, paths, result.Missed > result.Paths.Count ? " and more" : "");
            }
            var elapsedMs = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var cpuMs = (long)(ThreadCpuTime.Now() - cpuBefore).TotalMilliseconds;
            EngineLog.WatchVerified(_target.Logger, _target.Root, _compared, result.Outcome, elapsedMs, cpuMs);
            return result;
        }
        finally
        {
            SnapshotMetrics.WatchVerificationDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private VerificationResult Compare()
    {
        var watch = _target.Watch;
        var inconclusive = new VerificationResult(VerificationOutcome.Inconclusive, 0, []);
        bool walked;
        try
        {
            walked = WalkTree();
        }
        finally
        {
            // Ended whatever happened (an unexpected error included), so the journal never outlives its verification.
            // Every change the walk saw raised its event before the walk looked: filed by the time it ends.
            _journal = watch.EndJournal(_generation);
        }
        if (!walked || _journal is not { } journal) return inconclusive;
        var missed = _differences.Where(d => !Explained(d, journal, watch)).Select(d => d.Path).Order(StringComparer.Ordinal).ToList();
        return missed.Count == 0
            ? new VerificationResult(VerificationOutcome.Agreed, 0, [])
            : new VerificationResult(VerificationOutcome.Mismatch, missed.Count, missed.Take(MaxListedPaths).ToList());
    }

    /// <summary>Walks the whole tree against the copy; false (no verdict) if the root or the ignore sources above it changed, or it could not be read.</summary>
    private bool WalkTree()
    {
        var root = _target.Root;
        try
        {
            using var rootDirectory = WorkingDirectory.OpenRoot(root, portable: false);
            var self = rootDirectory.StatSelf();
            if ((self.Device, self.Inode) != _target.RootIdentity || WorkspaceIgnoreRules.StampAbove(root) != _target.AboveStamp) return false;
            Walk(rootDirectory, _state, WorkspaceIgnoreRules.AboveRoot(root, _target.Options.Excludes));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A path where the walk and the state disagree: in directory <see cref="In"/> of the state, entry <see cref="Name"/>.</summary>
    private readonly record struct Difference(StateCopy In, string Name, string Path);

    /// <summary>Compares one directory's listing with its copy, descending into subdirectories the state holds.</summary>
    private void Walk(IWorkingDirectory directory, StateCopy known, IgnoreRules rules)
    {
        _stopping.ThrowIfCancellationRequested();
        var entries = new List<DirectoryEntry>();
        directory.ReadEntries(entries, [], null);
        if (entries.Exists(static e => e.Name == ".gitignore") && ReadIgnoreFile(directory, known.Path) is { } ignoreFile) rules = rules.Push(ignoreFile);

        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        var seenDirectories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var name = entry.Name;
            var path = known.ChildPath(name);
            if (name == ".git" || path == _target.DataDirectory) continue;
            // A directory's listing says what it is; a file's stat is what is compared.
            EntryStat stat = default;
            try
            {
                if (entry.Kind != EntryKind.Directory && !directory.TryStat(name, out stat)) continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (entry.Kind == EntryKind.Directory) stat = stat with { Kind = EntryKind.Directory };
            if (stat.Kind == EntryKind.Other) continue;
            var isDirectory = stat.Kind == EntryKind.Directory;
            if (rules.IsIgnored(path, isDirectory)) continue;
            if (isDirectory)
            {
                seenDirectories.Add(name);
                if (known.Directory(name) is not { } child)
                {
                    _differences.Add(new Difference(known, name, path + "/"));
                    continue;
                }
                IWorkingDirectory opened;
                try
                {
                    opened = directory.OpenDirectory(name);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                using (opened)
                {
                    try
                    {
                        Walk(opened, child, rules);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Unreadable now (or gone): what the walk could not see it does not judge.
                    }
                }
                continue;
            }
            seenFiles.Add(name);
            _compared++;
            if (stat.Kind == EntryKind.File && stat.Size > _target.Options.MaxFileBytes) continue;
            if (known.File(name) is not { } file)
            {
                if (!known.IsSkipped(path)) _differences.Add(new Difference(known, name, path));
                continue;
            }
            var mode = stat.Kind == EntryKind.Symlink ? EntryMode.Symlink : stat.Executable ? EntryMode.ExecutableFile : EntryMode.RegularFile;
            if (file.Mode != mode || !file.Stamp.Matches(stat) && !OnlyStatusChanged(directory, name, file, stat)) _differences.Add(new Difference(known, name, path));
        }
        foreach (var file in known.Files)
        {
            if (!seenFiles.Contains(file.Name)) _differences.Add(new Difference(known, file.Name, known.ChildPath(file.Name)));
        }
        foreach (var name in known.DirectoryNames)
        {
            if (!seenDirectories.Contains(name)) _differences.Add(new Difference(known, name, known.ChildPath(name) + "/"));
        }
    }

    /// <summary>
    /// Whether only the status-change time differs and the content is still the recorded blob. <c>link()</c> and
    /// <c>unlink()</c> of another name (<c>ln a b</c>, or removing a link outside the workspace) set a file's ctime
    /// and raise no event for this name, and a track would read the file again only to find the same blob: not a
    /// miss. The content is hashed (stored nowhere) rather than the ctime let go, because a write that kept the
    /// size and set the modification time back shows only in the ctime; a difference of ctime alone is rare, so
    /// hashing it costs less than a rule that could hide such a write.
    /// </summary>
    private bool OnlyStatusChanged(IWorkingDirectory directory, string name, in FileState file, in EntryStat stat)
    {
        if (file.Stamp with { CtimeNs = stat.CtimeNs } != FileStamp.Of(stat)) return false;
        try
        {
            if (stat.Kind == EntryKind.Symlink) return ObjectStore.HashOf(GitObjectType.Blob, directory.ReadLink(name)) == file.Id;
            using var content = directory.OpenFile(name);
            return ObjectStore.HashBlob(content, stat.Size, _stopping) == file.Id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The directory's .gitignore as a walk parses it (a symlink is not followed; an unreadable one ignores nothing).</summary>
    private static IgnoreFile? ReadIgnoreFile(IWorkingDirectory directory, string path)
    {
        try
        {
            if (!directory.TryStat(".gitignore", out var stat) || stat.Kind != EntryKind.File) return null;
            using var content = directory.OpenFile(".gitignore");
            return IgnoreFile.Inside(path, IgnoreFile.ReadLines(content));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether an event explains a difference: a track applying the journal would look at it (its name, or on its
    /// path the name of a directory above it, its own directory read again, it or one above gone, a .gitignore on
    /// the way, or a file with several links, which every track stats).
    /// </summary>
    private static bool Explained(Difference difference, Dictionary<int, PendingDirectory> journal, WorkspaceWatch watch)
    {
        var name = difference.Name;
        // A file with several links is stat'ed again by every track, event or not.
        if (difference.In.Watch >= 0 && watch.NodeOf(difference.In.Watch) is { Detached: false } own && own.Path == difference.In.Path &&
            watch.Linked.Contains(own, name)) return true;
        for (var node = difference.In; node is not null; name = node.Name, node = node.Parent)
        {
            if (node.Watch < 0 || !journal.TryGetValue(node.Watch, out var pending)) continue;
            // A track files the event under the directory its watch names now: it explains this path only if that is this directory.
            if (watch.NodeOf(node.Watch) is not { Detached: false } current || current.Path != node.Path) continue;
            // A directory gone walks its subtree again; one read again (TreeUpdate.Rescan) stats its own entries but
            // does not look inside a subdirectory that keeps its watch, so it explains only its own entries.
            if (pending.SelfGone || (pending.Whole && node == difference.In)) return true;
            if (pending.Whole) continue;
            if (pending.Names!.ContainsKey(name) || pending.Names.ContainsKey(".gitignore")) return true;
        }
        return false;
    }

    /// <summary>A directory of the state as it was when the verification started (tracks change the state itself meanwhile).</summary>
    private sealed class StateCopy
    {
        private readonly Dictionary<string, StateCopy> _directories;
        private readonly HashSet<string>? _skipped;

        private StateCopy(DirectoryState node, StateCopy? parent)
        {
            Name = node.Name;
            Path = node.Path;
            Parent = parent;
            Watch = node.Watch;
            Files = [.. node.Files];
            _skipped = node.Skipped is { Count: > 0 } skipped ? skipped.Select(s => s.Path).ToHashSet(StringComparer.Ordinal) : null;
            _directories = new Dictionary<string, StateCopy>(node.Directories.Count, StringComparer.Ordinal);
            foreach (var child in node.Directories) _directories[child.Name] = new StateCopy(child, this);
        }

        public static StateCopy Of(DirectoryState root) => new(root, null);

        public string Name { get; }

        public string Path { get; }

        public StateCopy? Parent { get; }

        public int Watch { get; }

        /// <summary>Sorted by name, as the state keeps them.</summary>
        public FileState[] Files { get; }

        public IEnumerable<string> DirectoryNames => _directories.Keys;

        public string ChildPath(string name) => Path.Length == 0 ? name : Path + "/" + name;

        public StateCopy? Directory(string name) => _directories.GetValueOrDefault(name);

        public FileState? File(string name)
        {
            int lo = 0, hi = Files.Length - 1;
            while (lo <= hi)
            {
                var mid = lo + ((hi - lo) >> 1);
                var c = string.CompareOrdinal(Files[mid].Name, name);
                if (c == 0) return Files[mid];
                if (c < 0) lo = mid + 1;
                else hi = mid - 1;
            }
            return null;
        }

        /// <summary>Whether the state reports <paramref name="path"/> as skipped (unreadable, kept changing, too large, ...).</summary>
        public bool IsSkipped(string path) => _skipped?.Contains(path) == true;
    }
}
