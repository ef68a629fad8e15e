using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.Engine.Objects.Packs;
using AgentSnapshots.Engine.Snapshotting;

namespace AgentSnapshots.Engine.Retention;

/// <summary>Disk used by one object store: objects (loose, and in packs as their indexes count them) and the bytes of their files.</summary>
public readonly record struct StoreUsage(long Objects, long Bytes);

/// <summary>
/// What a collection removed and what is left: unreachable objects deleted (loose ones past the grace period, and
/// entries of rewritten packs), the change in the store's bytes (packing shrinks it too), leftover temporary files
/// removed, and how many objects went into the new pack.
/// </summary>
public readonly record struct CollectionResult(long ObjectsDeleted, long BytesFreed, long TemporaryFilesDeleted, StoreUsage Remaining, long ObjectsPacked = 0);

/// <summary>
/// Frees the disk of snapshots nobody keeps and packs the ones kept. One collection:
/// <list type="number">
/// <item>marks every object reachable from the live trees and from the store's refs (<see cref="StoreWalk"/>);</item>
/// <item>writes one new pack (<see cref="PackPlan"/>, <see cref="StorePacker"/>): the kept loose objects, each file's new
/// version as a delta against its previous one where that is smaller, plus the packs being consolidated; the pack is
/// synced and renamed into place before anything is deleted;</item>
/// <item>deletes the packs it replaced, then loose objects a pack now holds, then unreachable loose objects older than
/// the grace period (so a snapshot being written concurrently, its blobs stored, its tree not yet recorded, is never
/// cut from under it), and leftover temporary files of interrupted writes.</item>
/// </list>
/// A process killed at any step leaves a readable store that loses nothing kept: until the new pack is in place nothing
/// is deleted, and after, everything deleted is in it. The next collection finishes the job.
/// </summary>
public static class StoreCollector
{
    public static StoreUsage Usage(ObjectStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        long objects = 0, bytes = 0;
        foreach (var (_, file) in store.Loose.Files())
        {
            objects++;
            bytes += file.Length;
        }
        store.Packs.Refresh();
        foreach (var pack in store.Packs.Packs)
        {
            objects += pack.Index.Count;
        }
        var packDirectory = new DirectoryInfo(store.Packs.Directory);
        if (packDirectory.Exists)
        {
            foreach (var file in packDirectory.EnumerateFiles())
            {
                if (!IsTemporary(file.Name)) bytes += file.Length;
            }
        }
        return new StoreUsage(objects, bytes);
    }

    /// <summary>
    /// Keeps exactly the retained snapshots <paramref name="kept"/>: the store's kept ref is rebuilt to them first
    /// (<see cref="SnapshotRefs.KeepExactly"/>, durably), so a dropped snapshot is no longer reachable from it, then
    /// the store is collected keeping those, <paramref name="transient"/> (trees handed out without being retained)
    /// and anything another ref of the store leads to.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="kept">The retained snapshots, oldest first (consecutive ones are what deltas are computed between).</param>
    /// <param name="transient">Further trees to keep this time, not made reachable from the ref.</param>
    /// <param name="grace">Unreachable loose objects and temporary files younger than this stay.</param>
    /// <param name="reclaimAll">Rewrite every pack that holds unreachable objects (to get under a size limit), not only those at least half unreachable.</param>
    /// <param name="cancellationToken">Stops the collection between objects; what was done stays consistent.</param>
    public static CollectionResult Collect(ObjectStore store, IReadOnlyList<GitObjectId> kept, IEnumerable<GitObjectId> transient, TimeSpan grace, bool reclaimAll = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(kept);
        var before = Usage(store);
        new SnapshotRefs(store).KeepExactly(kept);
        return CollectFrom(store, kept.Concat(transient), grace, reclaimAll, before, cancellationToken);
    }

    /// <summary>Collects the store keeping <paramref name="liveTrees"/> (oldest first) and whatever its refs lead to; the refs are left as they are.</summary>
    /// <param name="store">The store.</param>
    /// <param name="liveTrees">The snapshots to keep, oldest first (consecutive ones are what deltas are computed between).</param>
    /// <param name="grace">Unreachable loose objects and temporary files younger than this stay.</param>
    /// <param name="cancellationToken">Stops the collection between objects; what was done stays consistent.</param>
    public static CollectionResult Collect(ObjectStore store, IEnumerable<GitObjectId> liveTrees, TimeSpan grace, CancellationToken cancellationToken = default) =>
        Collect(store, liveTrees, grace, reclaimAll: false, cancellationToken);

    /// <inheritdoc cref="Collect(ObjectStore, IEnumerable{GitObjectId}, TimeSpan, CancellationToken)"/>
    /// <param name="reclaimAll">Rewrite every pack that holds unreachable objects, not only those at least half unreachable.</param>
    public static CollectionResult Collect(ObjectStore store, IEnumerable<GitObjectId> liveTrees, TimeSpan grace, bool reclaimAll, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return CollectFrom(store, liveTrees, grace, reclaimAll, Usage(store), cancellationToken);
    }

    private static CollectionResult CollectFrom(ObjectStore store, IEnumerable<GitObjectId> liveTrees, TimeSpan grace, bool reclaimAll, StoreUsage before, CancellationToken cancellationToken)
    {
        var cutoff = DateTime.UtcNow - grace;
        var temporaries = RemoveTemporaries(store, cutoff);
        if (store.Backed is { } leftovers)
        {
            // A backed store: its backend's packs are what is collected (cached here as they are read), and what
            // interrupted uploads left there goes too.
            leftovers.Sync(cancellationToken);
            temporaries += leftovers.RemoveLeftovers(grace, cancellationToken);
        }

        var walk = StoreWalk.Run(store, liveTrees, cancellationToken);
        var looseFiles = new Dictionary<GitObjectId, FileInfo>();
        foreach (var (id, file) in store.Loose.Files()) looseFiles[id] = file;
        var plan = PackPlan.Make(store, walk, looseFiles, reclaimAll);
        var packing = plan.Writes ? StorePacker.Write(store, plan, walk, cancellationToken) : null;

        long deleted = packing?.Dropped ?? 0;
        var replaced = plan.Rewrite.Select(e => e.Pack).Concat(plan.Redundant).ToList();
        // A backed store: the new pack is stored in the backend before any pack it replaces is deleted there.
        store.Backed?.Publish(cancellationToken);
        foreach (var pack in replaced)
        {
            store.Backed?.Delete(pack.Name, cancellationToken);
            DeletePack(pack);
            store.Backed?.Cache.Forgot(pack.PackPath);
        }
        store.Packs.Refresh();
        foreach (var (id, file) in looseFiles)
        {
            if (walk.Reachable.Contains(id))
            {
                if (store.Packs.TryFind(id, out _, out _)) TryDelete(file);
            }
            else if (file.LastWriteTimeUtc <= cutoff && TryDelete(file))
            {
                deleted++;
            }
        }
        if (deleted > 0 && !(SnapshotIndex.ReadRoot(store) is { } indexed && walk.Reachable.Contains(indexed)))
        {
            // The working tree's index may name objects just deleted: its next snapshot checks before reusing them.
            CollectionMarker.Change(store);
        }
        if (deleted > 0 || replaced.Count > 0)
        {
            GitCaches.RemoveCommitGraphs(store.ObjectsDirectory);
        }
        if (replaced.Count > 0)
        {
            GitCaches.RemovePackLists(store.ObjectsDirectory);
        }
        var after = Usage(store);
        return new CollectionResult(deleted, before.Bytes - after.Bytes, temporaries, after, packing?.FromLoose ?? 0);
    }

    /// <summary>
    /// Deletes a pack's files, its index first: without the index git and this store no longer see the pack, so a
    /// crash half way leaves at worst a pack file without index, which the next collection removes.
    /// </summary>
    private static void DeletePack(PackFile pack)
    {
        var indexPath = Path.ChangeExtension(pack.PackPath, ".idx");
        PackSet.Forget(indexPath);
        File.Delete(indexPath);
        File.Delete(pack.PackPath);
        File.Delete(SparsePack.MapPathOf(pack.PackPath));
        foreach (var other in Directory.EnumerateFiles(Path.GetDirectoryName(pack.PackPath)!, pack.Name + ".*"))
        {
            if (!other.EndsWith(".keep", StringComparison.Ordinal)) TryDelete(new FileInfo(other));
        }
    }

    /// <summary>Temporary files of interrupted writes (ours and git's), and pack files left without their index, once older than the cutoff.</summary>
    private static long RemoveTemporaries(ObjectStore store, DateTime cutoff)
    {
        long removed = 0;
        var objects = new DirectoryInfo(store.ObjectsDirectory);
        if (objects.Exists)
        {
            foreach (var tmp in objects.EnumerateFiles(LooseObjects.TemporaryPrefix + "*"))
            {
                if (tmp.LastWriteTimeUtc <= cutoff && TryDelete(tmp)) removed++;
            }
        }
        var packs = new DirectoryInfo(store.Packs.Directory);
        if (packs.Exists)
        {
            foreach (var file in packs.EnumerateFiles())
            {
                if (file.LastWriteTimeUtc > cutoff) continue;
                var orphan = (file.Extension == ".pack" && !File.Exists(Path.ChangeExtension(file.FullName, ".idx")))
                    || (file.Extension == ".idx" && !File.Exists(Path.ChangeExtension(file.FullName, ".pack")));
                if ((IsTemporary(file.Name) || orphan) && TryDelete(file)) removed++;
            }
        }
        return removed;
    }

    private static bool IsTemporary(string name) =>
        name.StartsWith("tmp_", StringComparison.Ordinal) || name.StartsWith(".tmp-", StringComparison.Ordinal);

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
