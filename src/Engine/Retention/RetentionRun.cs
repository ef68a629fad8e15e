using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Retention;

/// <summary>What one collection did: snapshots retention dropped, objects and bytes freed, and what is left.</summary>
public sealed record CollectionOutcome(int DroppedSnapshots, long ObjectsDeleted, long BytesFreed, StoreUsage Remaining);

/// <summary>
/// Retention, then collection, for one workspace: drops what the policy does not keep (persisted before any object
/// is deleted, so stored state never names a missing tree), deletes the unreachable objects older than the grace
/// period, and while the store is still over <c>MaxBytes</c> drops the oldest unprotected snapshots in growing
/// batches and collects again (a few rounds at most; the next collection continues).
/// </summary>
public static class RetentionRun
{
    private const int MaxBytesRounds = 4;

    /// <param name="transientTrees">Trees handed out without being recorded (a diff against "now"), kept for the grace period.</param>
    /// <param name="persist">Writes the catalogue's changes; called after every drop and before any deletion.</param>
    /// <param name="scheduler">Where the blocking collection runs.</param>
    public static async Task<CollectionOutcome> RunAsync(
        SnapshotCatalogue catalogue,
        ObjectStore store,
        RetentionOptions retention,
        IReadOnlyCollection<GitObjectId> transientTrees,
        Func<Task> persist,
        TaskScheduler scheduler,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(retention);
        ArgumentNullException.ThrowIfNull(persist);
        var policy = new RetentionPolicy(retention.KeepLast, retention.KeepYoungerThan, retention.MaxSnapshots);
        var grace = retention.Grace < TimeSpan.Zero ? TimeSpan.Zero : retention.Grace;
        var now = DateTimeOffset.UtcNow;

        var dropped = catalogue.ApplyRetention(policy, now);
        catalogue.MarkCollected();
        await persist().ConfigureAwait(true);

        var result = await CollectAsync(catalogue, store, transientTrees, grace, reclaimAll: false, scheduler, cancellationToken).ConfigureAwait(true);
        long deleted = result.ObjectsDeleted, freed = result.BytesFreed;
        var remaining = result.Remaining;
        for (var round = 0; round < MaxBytesRounds && remaining.Bytes > retention.MaxBytes && catalogue.Count > 0; round++)
        {
            // A first guess from the average snapshot's share, doubled each round (snapshots share most objects).
            var average = Math.Max(1, remaining.Bytes / catalogue.Count);
            var want = (remaining.Bytes - retention.MaxBytes + average - 1) / average << round;
            var more = catalogue.DropOldestUnprotected(policy, now, (int)Math.Clamp(want, 1, catalogue.Count));
            if (more == 0)
            {
                break;
            }
            dropped += more;
            await persist().ConfigureAwait(true);
            // Every pack holding what was just dropped is rewritten: the bytes must go now, not when a pack is half unreachable.
            var again = await CollectAsync(catalogue, store, transientTrees, grace, reclaimAll: true, scheduler, cancellationToken).ConfigureAwait(true);
            deleted += again.ObjectsDeleted;
            freed += again.BytesFreed;
            remaining = again.Remaining;
        }
        return new CollectionOutcome(dropped, deleted, freed, remaining);
    }

    /// <summary>
    /// Rebuilds the store's kept ref to exactly the catalogue's snapshots, then collects and packs (<see cref="StoreCollector"/>):
    /// the retained snapshots go oldest recording first, so each file's new version is a delta against its previous one.
    /// </summary>
    private static Task<CollectionResult> CollectAsync(SnapshotCatalogue catalogue, ObjectStore store,
        IReadOnlyCollection<GitObjectId> transientTrees, TimeSpan grace, bool reclaimAll, TaskScheduler scheduler, CancellationToken ct)
    {
        var kept = catalogue.LiveHashes.Select(GitObjectId.Parse).ToList();
        return Task.Factory.StartNew(() => StoreCollector.Collect(store, kept, transientTrees, grace, reclaimAll, ct), ct, TaskCreationOptions.DenyChildAttach, scheduler);
    }
}
