using System.Collections.Concurrent;
using System.Text;
using AgentSnapshots.Engine.Ignore;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine;

/// <summary>
/// Walks a working tree and writes it into the object store as git trees: ignore rules honoured, .git directories
/// never entered, symlinks stored as links, the executable bit kept, oversized or unreadable files skipped and
/// reported. Files whose stat matches the last snapshot's index are not read again; the others are streamed into
/// the store (in parallel, each with a fixed-size buffer), so memory does not grow with file sizes.
/// </summary>
internal sealed class WorkingTreeSnapshotter(string root, ObjectStore store, SnapshotsOptions options, ILogger logger)
{
    private const int StableReadAttempts = 3;

    private sealed class DirNode(string name)
    {
        public string Name { get; } = name;
        public List<FileNode> Files { get; } = [];
        public List<DirNode> Dirs { get; } = [];
    }

    private sealed class FileNode(string name, string path, EntryMode mode, long size, long mtimeTicks)
    {
        public string Name { get; } = name;
        public string Path { get; } = path;
        public EntryMode Mode { get; } = mode;
        public long Size { get; set; } = size;
        public long MtimeTicks { get; set; } = mtimeTicks;
        public GitObjectId? Id { get; set; }
    }

    public SnapshotTaken Snapshot(CancellationToken cancellationToken)
    {
        var start = DateTime.UtcNow;
        var index = SnapshotIndex.Load(store);
        var next = SnapshotIndex.Empty();
        var skipped = new ConcurrentBag<SkippedPath>();
        var pending = new List<FileNode>();
        var dataDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.DataDir));

        var rules = WorkspaceIgnoreRules.ForRoot(root, options.Excludes);
        var tree = Walk(new DirNode(""), root, "", rules, index, pending, skipped, dataDir, cancellationToken);

        Parallel.ForEach(
            pending,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            file => StoreFile(file, skipped, cancellationToken));

        var files = 0;
        var rootId = WriteTree(tree, next, start, ref files) ?? store.WriteTree([]);
        next.Save(store);
        var skippedList = skipped.DistinctBy(s => s.Path, StringComparer.Ordinal).OrderBy(s => s.Path, StringComparer.Ordinal).ToList();
        var elapsedMs = (long)(DateTime.UtcNow - start).TotalMilliseconds;
        EngineLog.SnapshotTaken(logger, rootId, root, files, pending.Count, skippedList.Count, elapsedMs);
        return new SnapshotTaken(rootId, files, skippedList);
    }

    private DirNode Walk(DirNode node, string absolute, string relative, IgnoreRules rules, SnapshotIndex index,
        List<FileNode> pending, ConcurrentBag<SkippedPath> skipped, string dataDir, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(absolute)
                .EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, MatchType = MatchType.Simple })
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            EngineLog.Skipped(logger, relative + "/", root, e.Message);
            skipped.Add(new SkippedPath(relative + "/", CauseOf(e)));
            return node;
        }

        var unspellable = ReportInvalidNames(absolute, relative, rules, skipped);

        foreach (var entry in entries)
        {
            var name = entry.Name;
            if (name == ".git") continue;
            if (unspellable is not null && unspellable.Contains(name) && !ExistsNoFollow(Path.Join(absolute, name))) continue;
            var path = relative.Length == 0 ? name : relative + "/" + name;
            // Spelled from our own parts: past PATH_MAX .NET gives an entry an empty FullName.
            var full = Path.Join(absolute, name);
            try
            {
                var isLink = entry.Attributes.HasFlag(FileAttributes.ReparsePoint) && entry.LinkTarget is not null;
                var isDir = !isLink && entry is DirectoryInfo;
                if (rules.IsIgnored(path, isDir)) continue;
                if (isDir)
                {
                    if (string.Equals(full, dataDir, StringComparison.Ordinal)) continue;
                    var childRules = rules.Push(IgnoreFile.Inside(path, ReadIgnoreFile(full)));
                    var child = Walk(new DirNode(name), full, path, childRules, index, pending, skipped, dataDir, ct);
                    if (child.Files.Count > 0 || child.Dirs.Count > 0) node.Dirs.Add(child);
                    continue;
                }
                if (isLink)
                {
                    var target = Encoding.UTF8.GetBytes(entry.LinkTarget!);
                    node.Files.Add(new FileNode(name, path, EntryMode.Symlink, target.Length, 0) { Id = store.WriteObject(GitObjectType.Blob, target) });
                    continue;
                }
                var info = (FileInfo)entry;
                var size = info.Length;
                if (size > options.MaxFileBytes)
                {
                    skipped.Add(new SkippedPath(path, SkipCause.TooLarge));
                    continue;
                }
                var mode = (info.UnixFileMode & UnixFileMode.UserExecute) != 0 ? EntryMode.ExecutableFile : EntryMode.RegularFile;
                var file = new FileNode(name, path, mode, size, info.LastWriteTimeUtc.Ticks);
                node.Files.Add(file);
                if (index.TryGetUnchanged(path, size, file.MtimeTicks, mode, out var known) && store.Contains(known))
                {
                    file.Id = known;
                }
                else if (size == 0)
                {
                    // Never opened: an empty file needs no read, and a FIFO or socket (which stat as empty) must not be opened.
                    file.Id = store.WriteObject(GitObjectType.Blob, []);
                }
                else
                {
                    pending.Add(file);
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Vanished between listing and stat: it is simply not part of this snapshot.
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                EngineLog.Skipped(logger, path, root, e.Message);
                skipped.Add(new SkippedPath(path, CauseOf(e)));
            }
        }
        return node;
    }

    /// <summary>
    /// Entries whose names are not valid UTF-8 are invisible to .NET's enumeration (and cannot be opened by a .NET
    /// path): they are not stored, so they are reported as skipped, spelled with \xNN escapes, never silently lost.
    /// A restore never deletes them (no tree holds them).
    /// </summary>
    /// <returns>The names .NET gives those entries (invalid bytes as U+FFFD; it lists some, e.g. directories, under a
    /// name that opens nothing), so the walk can leave them out; null when there are none.</returns>
    private HashSet<string>? ReportInvalidNames(string absolute, string relative, IgnoreRules rules, ConcurrentBag<SkippedPath> skipped)
    {
        var invalidNames = RawDirectory.InvalidNames(absolute);
        if (invalidNames.Count == 0) return null;
        var unspellable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var invalid in invalidNames)
        {
            unspellable.Add(Encoding.UTF8.GetString(invalid.Bytes));
            var path = (relative.Length == 0 ? "" : relative + "/") + invalid.Display;
            if (rules.IsIgnored(path, invalid.IsDirectory)) continue;
            var shown = invalid.IsDirectory ? path + "/" : path;
            EngineLog.Skipped(logger, shown, root, "its name is not valid UTF-8, so it cannot be stored; rename it to have it snapshotted");
            skipped.Add(new SkippedPath(shown, SkipCause.NotUtf8));
        }
        return unspellable;
    }

    /// <summary>Whether something (a file, directory or a symlink, dangling or not) exists at exactly this path.</summary>
    private static bool ExistsNoFollow(string path)
    {
        try
        {
            return Path.Exists(path) || new FileInfo(path).LinkTarget is not null;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static IEnumerable<string> ReadIgnoreFile(string directory)
    {
        var path = Path.Join(directory, ".gitignore");
        return File.Exists(path) ? IgnoreFile.ReadLines(path) : [];
    }

    private void StoreFile(FileNode file, ConcurrentBag<SkippedPath> skipped, CancellationToken ct)
    {
        var absolute = RelativePath.ToAbsolute(root, file.Path);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(absolute, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                file.Id = store.WriteBlob(stream, file.Size, ct);
                SnapshotMetrics.SnapshotBytes.Add(file.Size);
                return;
            }
            catch (ContentLengthChangedException) when (attempt < StableReadAttempts)
            {
                // Written to while we read it: take its new stat (below) and read again.
            }
            catch (ContentLengthChangedException)
            {
                EngineLog.Skipped(logger, file.Path, root, "it kept changing while it was read");
                skipped.Add(new SkippedPath(file.Path, SkipCause.KeptChanging));
                return;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                EngineLog.Skipped(logger, file.Path, root, e.Message);
                skipped.Add(new SkippedPath(file.Path, CauseOf(e)));
                return;
            }

            // Outside the catch blocks, so a file deleted right after it changed is "vanished", not an escaping exception.
            var info = new FileInfo(absolute);
            if (!info.Exists) return;
            file.Size = info.Length;
            file.MtimeTicks = info.LastWriteTimeUtc.Ticks;
            if (file.Size > options.MaxFileBytes)
            {
                EngineLog.Skipped(logger, file.Path, root, "it grew over MaxFileBytes while it was read");
                skipped.Add(new SkippedPath(file.Path, SkipCause.TooLarge));
                return;
            }
            if (file.Size == 0)
            {
                file.Id = store.WriteObject(GitObjectType.Blob, []);
                return;
            }
        }
    }

    private static SkipCause CauseOf(Exception e) => e is PathTooLongException ? SkipCause.PathTooLong : SkipCause.Unreadable;

    private GitObjectId? WriteTree(DirNode node, SnapshotIndex next, DateTime start, ref int files)
    {
        var entries = new List<TreeEntry>(node.Files.Count + node.Dirs.Count);
        foreach (var file in node.Files)
        {
            if (file.Id is not { } id) continue; // vanished or skipped while being read
            entries.Add(new TreeEntry(file.Name, file.Mode, id));
            if (file.Mode != EntryMode.Symlink) next.Set(file.Path, file.Size, file.MtimeTicks, file.Mode, id, start);
            files++;
        }
        foreach (var dir in node.Dirs)
        {
            if (WriteTree(dir, next, start, ref files) is { } id)
            {
                entries.Add(new TreeEntry(dir.Name, EntryMode.Directory, id));
            }
        }
        // Git stores no empty directories; neither do we, so our trees hash like git's.
        return entries.Count == 0 ? null : store.WriteTree(entries);
    }
}
