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

    public TrackResult Snapshot(CancellationToken cancellationToken)
    {
        var start = DateTime.UtcNow;
        var index = SnapshotIndex.Load(store);
        var next = SnapshotIndex.Empty();
        var skipped = new ConcurrentBag<string>();
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
        var skippedList = skipped.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var hash = rootId.ToHex();
        var elapsedMs = (long)(DateTime.UtcNow - start).TotalMilliseconds;
        EngineLog.SnapshotTaken(logger, hash, root, files, pending.Count, skippedList.Count, elapsedMs);
        return new TrackResult(hash, files, skippedList);
    }

    private DirNode Walk(DirNode node, string absolute, string relative, IgnoreRules rules, SnapshotIndex index,
        List<FileNode> pending, ConcurrentBag<string> skipped, string dataDir, CancellationToken ct)
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
            skipped.Add(relative + "/");
            return node;
        }

        foreach (var entry in entries)
        {
            var name = entry.Name;
            if (name == ".git") continue;
            var path = relative.Length == 0 ? name : relative + "/" + name;
            try
            {
                var isLink = entry.Attributes.HasFlag(FileAttributes.ReparsePoint) && entry.LinkTarget is not null;
                var isDir = !isLink && entry is DirectoryInfo;
                if (rules.IsIgnored(path, isDir)) continue;
                if (isDir)
                {
                    if (string.Equals(entry.FullName, dataDir, StringComparison.Ordinal)) continue;
                    var childRules = rules.Push(IgnoreFile.Inside(path, ReadIgnoreFile(entry.FullName)));
                    var child = Walk(new DirNode(name), entry.FullName, path, childRules, index, pending, skipped, dataDir, ct);
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
                    skipped.Add(path);
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
                skipped.Add(path);
            }
        }
        return node;
    }

    private static IEnumerable<string> ReadIgnoreFile(string directory)
    {
        var path = Path.Join(directory, ".gitignore");
        return File.Exists(path) ? IgnoreFile.ReadLines(path) : [];
    }

    private void StoreFile(FileNode file, ConcurrentBag<string> skipped, CancellationToken ct)
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
                // Written to while we read it: take its new stat and read again.
                var info = new FileInfo(absolute);
                file.Size = info.Length;
                file.MtimeTicks = info.LastWriteTimeUtc.Ticks;
                if (file.Size > options.MaxFileBytes)
                {
                    skipped.Add(file.Path);
                    return;
                }
            }
            catch (ContentLengthChangedException)
            {
                EngineLog.Skipped(logger, file.Path, root, "it kept changing while it was read");
                skipped.Add(file.Path);
                return;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                EngineLog.Skipped(logger, file.Path, root, e.Message);
                skipped.Add(file.Path);
                return;
            }
        }
    }

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
