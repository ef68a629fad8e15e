using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Ignore;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.SystemCalls;
using AgentSnapshots.Engine.Watching;
using AgentSnapshots.Engine.WorkingTree.Reading;
using AgentSnapshots.Engine.WorkingTree;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine.Snapshotting;

/// <summary>
/// One pass of a snapshot over (part of) a working tree: lists directories in parallel across cores through
/// directory handles, leaves out ignored entries before descending into them, reuses the blob of every file whose
/// stat matches the previous state, streams the others into the store, and builds the new
/// <see cref="DirectoryState"/>s (watched, when a watch is given, before they are listed, so no change after the
/// listing goes unseen). Trees are written afterwards by <see cref="TreeBuilder"/>.
/// </summary>
internal sealed class TreeWalk
{
    private const int StableReadAttempts = 3;

    /// <summary>
    /// An entry whose modification or status-change time is this close to the walk's start (or later) is not trusted
    /// by later walks (<see cref="FileStamp.IsRacy"/>): the coarsest timestamp tick a file system may have (FAT's two
    /// seconds; Linux's own file systems tick with the kernel's coarse clock, milliseconds, behind the wall clock).
    /// </summary>
    public static readonly long RacyWindowNs = 2_000_000_000;

    private readonly ObjectStore _store;
    private readonly SnapshotsOptions _options;
    private readonly ILogger _logger;
    private readonly string _root;
    private readonly string? _dataDir;
    private readonly bool _verify;
    private readonly WorkspaceWatch? _watch;
    private readonly CancellationToken _cancellationToken;
    private readonly long _racyAfterNs;
    private readonly int _maxFiles;
    private GitObjectId? _emptyBlob;
    private int _read;
    private int _found;
    private bool _counting;

    /// <param name="dataDirectory">The workspace-relative path of the silo's data directory when it lies inside the workspace (never walked).</param>
    /// <param name="verify">Objects were collected since the previous state was recorded: reuse a blob only if the store still has it.</param>
    public TreeWalk(ObjectStore store, SnapshotsOptions options, ILogger logger, string root, string? dataDirectory, bool verify,
        WorkspaceWatch? watch, DateTime startUtc, CancellationToken cancellationToken)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _root = root;
        _dataDir = dataDirectory;
        _verify = verify;
        _watch = watch;
        _cancellationToken = cancellationToken;
        _racyAfterNs = (startUtc - DateTime.UnixEpoch).Ticks * 100 - RacyWindowNs;
        _maxFiles = WorkspaceFileLimit.For(options);
    }

    /// <summary>Files read into the store by this walk (the others matched the previous state).</summary>
    public int Read => _read;

    private sealed class SharedDirectory(IWorkingDirectory directory)
    {
        private int _references = 1;

        public IWorkingDirectory Directory { get; } = directory;

        public void AddReference() => Interlocked.Increment(ref _references);

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0) Directory.Dispose();
        }
    }

    /// <summary>
    /// A directory to scan: opened already (a root), or to be opened by name from its parent's shared handle.
    /// <see cref="RulesSame"/>: the ignore rules reaching it are the ones the previous state was walked with.
    /// </summary>
    private readonly record struct Item(SharedDirectory? Parent, IWorkingDirectory? Opened, DirectoryState Node, IgnoreRules Rules, bool RulesSame);

    /// <summary>
    /// Walks the whole tree under <paramref name="rootDirectory"/> (which stays the caller's to dispose);
    /// <paramref name="aboveRootUnchanged"/>: <paramref name="aboveRoot"/> are the rules the previous state was walked with.
    /// Stops with <see cref="EngineError.WorkspaceTooBroad"/> on finding more files than <c>Snapshots:MaxFilesPerWorkspace</c>,
    /// before reading the one over.
    /// </summary>
    public DirectoryState WalkRoot(IWorkingDirectory rootDirectory, DirectoryState? previous, IgnoreRules aboveRoot, bool aboveRootUnchanged)
    {
        // Only a walk of the whole tree knows the whole count; a track driven by the watcher checks the state's count.
        _counting = true;
        var node = new DirectoryState("", null) { Previous = previous };
        Run(new Item(null, rootDirectory, node, aboveRoot, aboveRootUnchanged));
        return node;
    }

    /// <summary>Walks directory <paramref name="name"/> of <paramref name="parent"/> (open as <paramref name="parentDirectory"/>) anew.</summary>
    public DirectoryState WalkSubtree(IWorkingDirectory parentDirectory, DirectoryState parent, string name, DirectoryState? previous)
    {
        var node = new DirectoryState(name, parent) { Previous = previous };
        var shared = new SharedDirectory(parentDirectory);
        // The caller keeps its handle: this walk holds one more reference and never drops the last.
        shared.AddReference();
        // Ignore decisions are all made afresh (a subtree is walked again when its rules change).
        Run(new Item(shared, null, node, parent.Rules!, RulesSame: false));
        return node;
    }

    private void Run(Item first) =>
        ParallelWork<Item>.Run(first, Process, static item => item.Parent?.Release(), Environment.ProcessorCount, _cancellationToken);

    private void Process(Item item, ParallelWork<Item> work)
    {
        var node = item.Node;
        var directory = item.Opened;
        if (directory is null)
        {
            try
            {
                if (!TryAccess(node, () => directory = item.Parent!.Directory.OpenDirectory(node.Name))) return;
            }
            finally
            {
                item.Parent!.Release();
            }
        }
        var shared = new SharedDirectory(directory!);
        if (item.Opened is not null) shared.AddReference();
        try
        {
            Scan(shared, node, item, work);
        }
        finally
        {
            shared.Release();
        }
    }

    private void Scan(SharedDirectory shared, DirectoryState node, Item item, ParallelWork<Item> work)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var directory = shared.Directory;
        var previous = node.Previous;
        // Watched before it is listed: a change after the listing raises an event for the next track.
        if (_watch is not null && directory.WatchPath is { } watchPath) node.Watch = _watch.Add(watchPath, node);

        var scratch = ScanScratch.Rent();
        try
        {
            var entries = scratch.Entries;
            if (!TryAccess(node, () => directory.ReadEntries(entries, scratch.Unrepresentable, previous))) return;
            entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));

            var rules = item.Rules;
            if (entries.Exists(static e => e.Name == ".gitignore"))
            {
                node.IgnoreFile = ReadIgnoreFile(directory, node, previous?.IgnoreFile);
                if (node.IgnoreFile is not null) rules = rules.Push(node.IgnoreFile.Patterns);
            }
            node.Rules = rules;
            // The same rules as last time (its own .gitignore unchanged, the very parse reused): what was included still is.
            var rulesSame = item.RulesSame && previous is not null && node.IgnoreFile == previous.IgnoreFile;

            foreach (var entry in scratch.Unrepresentable)
            {
                var path = node.ChildPath(entry.Display);
                if (rules.IsIgnored(path, entry.IsDirectory)) continue;
                var shown = entry.IsDirectory ? path + "/" : path;
                EngineLog.Skipped(_logger, shown, _root, "its name is not valid UTF-8, so it cannot be stored; rename it to have it snapshotted");
                node.AddSkipped(new SkippedPath(shown, SkipCause.NotUtf8));
            }

            var listing = new Listing(shared, node, rules, rulesSame, scratch.Files, work);
            var previousFiles = previous?.Files;
            var cursor = 0;
            foreach (var entry in entries)
            {
                if (entry.Name == ".git") continue;
                // Both sorted by name: the previous entry of the same name, if any, is found by moving forward.
                while (previousFiles is not null && cursor < previousFiles.Count && string.CompareOrdinal(previousFiles[cursor].Name, entry.Name) < 0) cursor++;
                FileState? known = previousFiles is not null && cursor < previousFiles.Count && previousFiles[cursor].Name == entry.Name ? previousFiles[cursor] : null;
                try
                {
                    AddEntry(ref listing, entry, known);
                }
                catch (Exception e) when (EntryErrors.OfTheEntry(e))
                {
                    Skip(node, node.ChildPath(entry.Name), e);
                }
            }
            CountFound(ref listing);
            // A directory found as it was keeps the previous list; a changed one gets a list of its exact size
            // (kept for as long as the workspace is tracked: no slack per directory).
            node.UseFiles(previousFiles is not null && DirectoryState.SameFiles(scratch.Files, previousFiles) ? previousFiles : new List<FileState>(scratch.Files));
            node.Directories.TrimExcess();
        }
        finally
        {
            ScanScratch.Return(scratch);
        }
    }

    /// <summary>
    /// What one directory's scan carries from entry to entry: where its files go, and the files it found that no
    /// read has counted yet (counted in one step per directory, or before a read, so the file limit holds without
    /// the threads contending on the count for every file).
    /// </summary>
    private struct Listing(SharedDirectory shared, DirectoryState node, IgnoreRules rules, bool rulesSame, List<FileState> files, ParallelWork<Item> work)
    {
        public readonly SharedDirectory Shared = shared;
        public readonly DirectoryState Node = node;
        public readonly IgnoreRules Rules = rules;
        public readonly bool RulesSame = rulesSame;
        public readonly List<FileState> Files = files;
        public readonly ParallelWork<Item> Work = work;
        public int Uncounted;
    }

    /// <summary>Lists reused by the scans a thread runs, so listing a directory allocates nothing that does not outlive it.</summary>
    private sealed class ScanScratch
    {
        private const int KeptCapacity = 4096;

        [ThreadStatic]
        private static ScanScratch? t_free;

        public List<DirectoryEntry> Entries { get; } = [];

        public List<UnrepresentableEntry> Unrepresentable { get; } = [];

        public List<FileState> Files { get; } = [];

        public static ScanScratch Rent()
        {
            var scratch = t_free ?? new ScanScratch();
            t_free = null;
            return scratch;
        }

        public static void Return(ScanScratch scratch)
        {
            // A huge directory's lists are not kept alive by the thread that listed it.
            if (scratch.Entries.Capacity > KeptCapacity || scratch.Files.Capacity > KeptCapacity) return;
            scratch.Entries.Clear();
            scratch.Unrepresentable.Clear();
            scratch.Files.Clear();
            t_free = scratch;
        }
    }

    /// <summary>Adds the files this directory found and no read counted to the walk's count; over the limit, the walk stops.</summary>
    private void CountFound(ref Listing listing)
    {
        if (!_counting || listing.Uncounted == 0) return;
        var found = Interlocked.Add(ref _found, listing.Uncounted);
        listing.Uncounted = 0;
        if (found > _maxFiles) throw WorkspaceFileLimit.Exceeded(_root, _maxFiles);
    }

    private void AddEntry(ref Listing listing, DirectoryEntry entry, FileState? known)
    {
        var node = listing.Node;
        var directory = listing.Shared.Directory;
        var rules = listing.Rules;
        var name = entry.Name;
        var kind = entry.Kind;
        EntryStat stat = default;
        var statted = false;
        if (kind == EntryKind.Unknown)
        {
            if (!directory.TryStat(name, out stat)) return;
            kind = stat.Kind;
            statted = true;
        }
        if (kind == EntryKind.Other) return;
        var previousDirectory = kind == EntryKind.Directory ? node.Previous?.DirectoryNamed(name) : null;
        // Included last time, under the same rules, as the same kind of entry: the same decision, without matching.
        var included = listing.RulesSame && (kind == EntryKind.Directory ? previousDirectory is not null : known is not null);
        if (!included && rules.IsIgnored(node.ChildPath(name), kind == EntryKind.Directory)) return;
        if (kind != EntryKind.Directory)
        {
            if (!statted && !directory.TryStat(name, out stat)) return;
            if (stat.Kind == EntryKind.Other) return;
            if (stat.Kind == EntryKind.Directory)
            {
                // Replaced by a directory since it was listed: decide for the directory.
                if (rules.IsIgnored(node.ChildPath(name), isDirectory: true)) return;
                kind = EntryKind.Directory;
                previousDirectory = node.Previous?.DirectoryNamed(name);
            }
        }
        if (kind == EntryKind.Directory)
        {
            if (_dataDir is not null && node.ChildPath(name) == _dataDir) return;
            var child = new DirectoryState(name, node) { Previous = previousDirectory };
            node.Directories.Add(child);
            listing.Shared.AddReference();
            listing.Work.Push(new Item(listing.Shared, null, child, rules, listing.RulesSame));
            return;
        }
        listing.Uncounted++;
        if (stat.Links > 1) _watch?.Linked.Note(node, name, stat);
        if (known is { } reusable && Reusable(reusable, stat))
        {
            listing.Files.Add(reusable);
            return;
        }
        // Counted before anything is read: the walk stops before reading the file over the limit.
        CountFound(ref listing);
        if (ReadEntry(directory, node, name, stat, known, force: false) is { } file)
        {
            listing.Files.Add(file);
        }
    }

    /// <summary>
    /// Whether <paramref name="known"/> still holds for <paramref name="stat"/> with nothing to check in the store (as
    /// <see cref="ReadEntry"/> decides; a walk that verifies blobs leaves every file to it).
    /// </summary>
    private bool Reusable(in FileState known, in EntryStat stat) =>
        !_verify && !(stat.Kind == EntryKind.File && stat.Size > _options.MaxFileBytes) && known.Matches(stat, ModeOf(stat));

    private static EntryMode ModeOf(in EntryStat stat) =>
        stat.Kind == EntryKind.Symlink ? EntryMode.Symlink : stat.Executable ? EntryMode.ExecutableFile : EntryMode.RegularFile;

    /// <summary>
    /// The state of file or symlink <paramref name="name"/> stat'ed as <paramref name="stat"/>: its previous blob if
    /// the stat matches (and <paramref name="force"/> is off), otherwise its content read into the store. Null when
    /// it vanished, or it was skipped (recorded in <paramref name="node"/>).
    /// </summary>
    public FileState? ReadEntry(IWorkingDirectory directory, DirectoryState node, string name, EntryStat stat, FileState? previous, bool force)
    {
        if (stat.Kind == EntryKind.File && stat.Size > _options.MaxFileBytes)
        {
            node.AddSkipped(new SkippedPath(node.ChildPath(name), SkipCause.TooLarge));
            return null;
        }
        var mode = ModeOf(stat);
        if (!force && previous is { } known && known.Matches(stat, mode) && (!_verify || _store.Contains(known.Id)))
        {
            return known;
        }
        GitObjectId id;
        if (mode == EntryMode.Symlink)
        {
            id = _store.WriteObject(GitObjectType.Blob, directory.ReadLink(name));
            Interlocked.Increment(ref _read);
        }
        else if (stat.Size == 0)
        {
            id = _emptyBlob ??= _store.WriteObject(GitObjectType.Blob, []);
        }
        else if (StoreFile(directory, node, name, ref stat) is { } stored)
        {
            id = stored;
        }
        else
        {
            return null;
        }
        var stamp = FileStamp.Of(stat);
        return new FileState(name, mode, stamp, id, stamp.IsRacy(_racyAfterNs));
    }

    /// <summary>Streams a file into the store, reading it again (up to a few times) if it changes while it is read.</summary>
    private GitObjectId? StoreFile(IWorkingDirectory directory, DirectoryState node, string name, ref EntryStat stat)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var stream = directory.OpenFile(name);
                var id = _store.WriteBlob(stream, stat.Size, _cancellationToken);
                Interlocked.Increment(ref _read);
                SnapshotMetrics.SnapshotBytes.Add(stat.Size);
                return id;
            }
            catch (ContentLengthChangedException) when (attempt < StableReadAttempts)
            {
                // Written to while we read it: take its new stat (below) and read again.
            }
            catch (ContentLengthChangedException)
            {
                EngineLog.Skipped(_logger, node.ChildPath(name), _root, "it kept changing while it was read");
                node.AddSkipped(new SkippedPath(node.ChildPath(name), SkipCause.KeptChanging));
                return null;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }

            // Outside the catch blocks, so a file deleted right after it changed is "vanished", not an escaping exception.
            if (!directory.TryStat(name, out stat) || stat.Kind != EntryKind.File) return null;
            if (stat.Size > _options.MaxFileBytes)
            {
                EngineLog.Skipped(_logger, node.ChildPath(name), _root, "it grew over MaxFileBytes while it was read");
                node.AddSkipped(new SkippedPath(node.ChildPath(name), SkipCause.TooLarge));
                return null;
            }
            if (stat.Size == 0) return _emptyBlob ??= _store.WriteObject(GitObjectType.Blob, []);
        }
    }

    /// <summary>
    /// The directory's .gitignore, parsed (or the previous parse, if its stat is unchanged and not racy). A symlinked
    /// .gitignore is not followed, as git (2.32 and later) does not; an unreadable one ignores nothing.
    /// </summary>
    private ParsedIgnoreFile? ReadIgnoreFile(IWorkingDirectory directory, DirectoryState node, ParsedIgnoreFile? previous)
    {
        try
        {
            if (!directory.TryStat(".gitignore", out var stat) || stat.Kind != EntryKind.File) return null;
            // Linked elsewhere, its rules can change with no event for this name (even when it ignores itself, so no
            // entry of the tree notes it): every watched track stats it again.
            if (stat.Links > 1) _watch?.Linked.Note(node, ".gitignore", stat);
            if (previous is not null && previous.Matches(stat)) return previous;
            using var content = directory.OpenFile(".gitignore");
            var lines = IgnoreFile.ReadLines(content);
            var stamp = FileStamp.Of(stat);
            return new ParsedIgnoreFile(IgnoreFile.Inside(node.Path, lines), stamp, stamp.IsRacy(_racyAfterNs));
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
            return null;
        }
    }

    /// <summary>Opens or lists a directory; false if that failed: it is gone (or no longer a directory) since its parent was listed, or it is skipped as unreadable.</summary>
    private bool TryAccess(DirectoryState node, Action access)
    {
        try
        {
            access();
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            node.Gone = true;
            return false;
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
            Skip(node, node.Path + "/", e);
            return false;
        }
    }

    private void Skip(DirectoryState node, string path, Exception e)
    {
        EngineLog.Skipped(_logger, path, _root, e.Message);
        node.AddSkipped(new SkippedPath(path, e is PathTooLongException ? SkipCause.PathTooLong : SkipCause.Unreadable));
    }
}
