using System.Threading.Channels;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Reports;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// A workspace agent's snapshot whose large blobs are sent while it is taken: each blob of at least
/// <see cref="EarlyBlobBytes"/> the snapshot writes is offered as soon as it is written, in a round of its own (offer,
/// want, object; the ones written meanwhile go together in the next round), so one file crosses the wire and is
/// verified by the silo while the next ones are hashed. The tree's round comes after (the caller's), and finds them
/// stored. The silo verifies every round as a whole transfer and records nothing until the tree's round is complete:
/// an interrupted snapshot or transfer leaves only verified objects that nothing names yet (the next track's offer
/// finds them stored).
/// </summary>
internal static class OverlappedSnapshot
{
    /// <summary>Blobs from this size are sent early; smaller ones wait for the tree's round (a round per small file would cost a round trip each).</summary>
    public const long EarlyBlobBytes = 1 << 20;

    /// <summary>Takes the snapshot on another thread while sending its large blobs; returns it, what was sent, and the blobs offered.</summary>
    public static async Task<(SnapshotTaken Taken, TransferCount Sent, List<DeltaObject> Offered)> TakeAsync(Workspace workspace, FrameConnection connection, CancellationToken cancellationToken)
    {
        var ready = Channel.CreateUnbounded<GitObjectId>(new UnboundedChannelOptions { SingleReader = true });
        var store = workspace.Store;
        store.LargeBlobWritten = (id, size) =>
        {
            if (size >= EarlyBlobBytes) ready.Writer.TryWrite(id);
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Its own thread, not a pool one: a native agent's pool starts with one thread per core, and the transfer's
        // continuations must not wait behind a blocked one for the pool to grow.
        var snapshot = Task.Factory.StartNew(() =>
        {
            try
            {
                return workspace.Snapshot(stop.Token);
            }
            finally
            {
                ready.Writer.TryComplete();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var offered = new List<DeltaObject>();
        var seen = new HashSet<GitObjectId>();
        var sent = default(TransferCount);
        try
        {
            while (await ready.Reader.WaitToReadAsync(cancellationToken))
            {
                var round = new List<DeltaObject>();
                while (ready.Reader.TryRead(out var id))
                {
                    if (seen.Add(id)) round.Add(new DeltaObject(id, IsTree: false));
                }
                if (round.Count == 0) continue;
                var count = await ObjectSender.SendAsync(connection, store, round, cancellationToken);
                sent += count;
                offered.AddRange(round);
            }
        }
        finally
        {
            // The workspace takes one command at a time: the snapshot ends (stopped, if the transfer failed) before this does.
            await stop.CancelAsync();
            await snapshot.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            store.LargeBlobWritten = null;
        }
        return (await snapshot, sent, offered);
    }
}
