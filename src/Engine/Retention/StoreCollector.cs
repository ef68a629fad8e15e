namespace AgentSnapshots.Engine;

/// <summary>Disk used by one object store.</summary>
public readonly record struct StoreUsage(long Objects, long Bytes);

/// <summary>What a collection removed and what is left.</summary>
public readonly record struct CollectionResult(long ObjectsDeleted, long BytesFreed, long TemporaryFilesDeleted, StoreUsage Remaining);

/// <summary>
/// Frees the disk of snapshots nobody keeps: marks every object reachable from the live trees, then deletes the
/// other loose objects one by one. It needs no extra disk (no repack) and never touches a reachable object.
/// Objects younger than the grace period are kept even if unreachable, so a snapshot being written concurrently
/// (its blobs stored, its tree not yet recorded anywhere) is never cut from under it. Leftover temporary files of
/// writes interrupted by a crash are removed once older than the grace period.
/// </summary>
public static class StoreCollector
{
    private const string TemporaryPrefix = "tmp_obj_";

    public static StoreUsage Usage(ObjectStore store)
    {
        long objects = 0, bytes = 0;
        foreach (var file in LooseFiles(store))
        {
            objects++;
            bytes += file.Length;
        }
        return new StoreUsage(objects, bytes);
    }

    public static CollectionResult Collect(ObjectStore store, IEnumerable<GitObjectId> liveTrees, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        var reachable = new HashSet<GitObjectId>();
        foreach (var tree in liveTrees)
        {
            Mark(store, tree, reachable, cancellationToken);
        }
        var cutoff = DateTime.UtcNow - grace;
        long deleted = 0, freed = 0, temporaries = 0, objects = 0, bytes = 0;
        foreach (var file in LooseFiles(store))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var prefix = file.Directory!.Name;
            var keep = !GitObjectId.TryParse(prefix + file.Name, out var id) || reachable.Contains(id) || file.LastWriteTimeUtc > cutoff;
            if (keep)
            {
                objects++;
                bytes += file.Length;
                continue;
            }
            var length = file.Length;
            if (TryDelete(file))
            {
                deleted++;
                freed += length;
            }
        }
        if (deleted > 0 && !(SnapshotIndex.ReadRoot(store) is { } indexed && reachable.Contains(indexed)))
        {
            // The working tree's index may name objects just deleted: its next snapshot checks before reusing them.
            CollectionMarker.Change(store);
        }
        var objectsDir = Path.Combine(store.GitDir, "objects");
        foreach (var tmp in new DirectoryInfo(objectsDir).EnumerateFiles(TemporaryPrefix + "*"))
        {
            if (tmp.LastWriteTimeUtc <= cutoff && TryDelete(tmp)) temporaries++;
        }
        return new CollectionResult(deleted, freed, temporaries, new StoreUsage(objects, bytes));
    }

    private static void Mark(ObjectStore store, GitObjectId tree, HashSet<GitObjectId> reachable, CancellationToken ct)
    {
        if (!reachable.Add(tree)) return;
        ct.ThrowIfCancellationRequested();
        IReadOnlyList<TreeEntry> entries;
        try
        {
            entries = store.ReadTree(tree);
        }
        catch (MissingObjectException)
        {
            // A live hash whose tree is gone has nothing more to keep.
            return;
        }
        foreach (var entry in entries)
        {
            if (entry.IsDirectory)
            {
                Mark(store, entry.Id, reachable, ct);
            }
            else
            {
                reachable.Add(entry.Id);
            }
        }
    }

    private static IEnumerable<FileInfo> LooseFiles(ObjectStore store)
    {
        var objectsDir = new DirectoryInfo(Path.Combine(store.GitDir, "objects"));
        if (!objectsDir.Exists) yield break;
        foreach (var dir in objectsDir.EnumerateDirectories())
        {
            if (dir.Name.Length != 2 || !Uri.IsHexDigit(dir.Name[0]) || !Uri.IsHexDigit(dir.Name[1])) continue;
            foreach (var file in dir.EnumerateFiles())
            {
                yield return file;
            }
        }
    }

    private static bool TryDelete(FileInfo file)
    {
        try
        {
            file.Delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
