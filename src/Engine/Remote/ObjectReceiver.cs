using System.Buffers.Binary;
using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// The receiving half of a transfer: reads the offer, answers with the ids the store lacks, then takes exactly
/// those objects, each verified (<see cref="VerifiedObjectWriter"/>) before it is stored under its id. An object not
/// wanted, sent twice, or not matching its id stops the transfer; what was verified and stored before stays (the
/// next transfer does not want it again), and nothing names it until a tree that is complete does.
/// </summary>
public static class ObjectReceiver
{
    /// <summary>The most ids the offers of one transfer (all its rounds) may hold (a tree of millions of files is refused by the engine's file limit long before).</summary>
    public const int MaxOffered = 20_000_000;

    /// <summary>One transfer: an offer, its want list, the objects wanted.</summary>
    /// <param name="requireEntries">Whether every received tree must name only objects already stored (a silo checks; an agent, whose store keeps only trees, cannot).</param>
    /// <param name="blobs">Where small blobs go instead of loose files (an agent's restore); null: every object is stored loose.</param>
    internal static async Task<TransferCount> ReceiveAsync(FrameConnection connection, ObjectStore store, bool requireEntries, ReceivedBlobs? blobs, CancellationToken cancellationToken)
    {
        // A backed store's cache may not list what its backend holds yet (a cold silo): one listing, so objects stored
        // there are not asked of the agent again.
        store.Backed?.Sync(cancellationToken);
        return await RoundAsync(connection, store, requireEntries, blobs, await connection.ReceiveAsync(cancellationToken), offeredBefore: 0, cancellationToken);
    }

    /// <summary>
    /// Transfers in rounds, each an offer, its want list and the objects wanted, until the sender sends something
    /// else: its reply, returned (the caller disposes it). A sender offers what is ready as it goes (an agent, each
    /// large blob its snapshot has written) and the tree's objects last; every round is verified as one transfer is.
    /// </summary>
    public static async Task<(TransferCount Count, Frame Next)> ReceiveRoundsAsync(FrameConnection connection, ObjectStore store, bool requireEntries, CancellationToken cancellationToken)
    {
        store.Backed?.Sync(cancellationToken);
        var total = default(TransferCount);
        while (true)
        {
            var first = await connection.ReceiveAsync(cancellationToken);
            if (first.Kind is not (FrameKind.Offer or FrameKind.OfferEnd)) return (total, first);
            var round = await RoundAsync(connection, store, requireEntries, blobs: null, first, total.Offered, cancellationToken);
            total += round;
        }
    }

    /// <summary>One offer (beginning with <paramref name="first"/>, disposed here), its want list and the objects wanted.</summary>
    private static async Task<TransferCount> RoundAsync(FrameConnection connection, ObjectStore store, bool requireEntries, ReceivedBlobs? blobs, Frame first, int offeredBefore, CancellationToken cancellationToken)
    {
        var wanted = new List<GitObjectId>();
        var pending = new HashSet<GitObjectId>();
        var offered = 0;
        var offer = first;
        while (true)
        {
            using (offer)
            {
                if (offer.Kind == FrameKind.OfferEnd) break;
                if (offer.Kind != FrameKind.Offer || offer.Length % GitObjectId.ByteLength != 0) throw FrameConnection.Unexpected(offer, "an offer");
                offered += offer.Length / GitObjectId.ByteLength;
                if (offeredBefore + offered > MaxOffered) throw new RemoteProtocolException($"the offer lists more than {MaxOffered} objects");
                for (var at = 0; at < offer.Length; at += GitObjectId.ByteLength)
                {
                    var id = new GitObjectId(offer.Payload.Span.Slice(at, GitObjectId.ByteLength));
                    // Without re-reading the pack list per miss (most offered ids are misses): a pack written since
                    // costs at most a duplicate transfer.
                    if (!pending.Contains(id) && !store.ContainsQuick(id) && pending.Add(id)) wanted.Add(id);
                }
            }
            offer = await connection.ReceiveAsync(cancellationToken);
        }
        var ids = new byte[Math.Min(wanted.Count, Frames.IdsPerFrame) * GitObjectId.ByteLength];
        for (var start = 0; start < wanted.Count; start += Frames.IdsPerFrame)
        {
            var count = Math.Min(Frames.IdsPerFrame, wanted.Count - start);
            for (var i = 0; i < count; i++) wanted[start + i].WriteTo(ids.AsSpan(i * GitObjectId.ByteLength));
            await connection.SendAsync(FrameKind.Want, ids.AsMemory(0, count * GitObjectId.ByteLength), cancellationToken);
        }
        await connection.SendAsync(FrameKind.WantEnd, ReadOnlyMemory<byte>.Empty, cancellationToken);

        var writer = new VerifiedObjectWriter(store, requireEntries);
        long bytes = 0;
        var received = 0;
        while (pending.Count > 0)
        {
            var frame = await connection.ReceiveAsync(cancellationToken);
            using (frame)
            {
                if (frame.Kind == FrameKind.SmallObjects)
                {
                    var at = 0;
                    while (at < frame.Length)
                    {
                        if (frame.Length - at < 24) throw new RemoteProtocolException("a batch of small objects is cut short");
                        var id = new GitObjectId(frame.Payload.Span.Slice(at, GitObjectId.ByteLength));
                        var length = BinaryPrimitives.ReadInt32BigEndian(frame.Payload.Span.Slice(at + GitObjectId.ByteLength, 4));
                        if (length < 0 || length > frame.Length - at - 24) throw new RemoteProtocolException($"object {id} in a batch claims {length} bytes, more than the batch holds");
                        Take(pending, id);
                        var loose = new ArraySegment<byte>(frame.Payload[(at + 24)..(at + 24 + length)].ToArray());
                        if (blobs is null || !blobs.TryTake(id, loose))
                        {
                            using var content = new MemoryStream(loose.Array!, writable: false);
                            await writer.WriteAsync(id, content, cancellationToken);
                        }
                        at += 24 + length;
                        bytes += length;
                        received++;
                    }
                    continue;
                }
                if (frame.Kind != FrameKind.ObjectStart || frame.Length != GitObjectId.ByteLength) throw FrameConnection.Unexpected(frame, "an object");
                var large = new GitObjectId(frame.Payload.Span);
                Take(pending, large);
                await using var incoming = new FrameReadingStream(connection, cancellationToken);
                await writer.WriteAsync(large, incoming, cancellationToken);
                bytes += incoming.Received;
                received++;
            }
        }
        return new TransferCount(offered, received, bytes);
    }

    private static void Take(HashSet<GitObjectId> pending, GitObjectId id)
    {
        if (!pending.Remove(id)) throw new RemoteProtocolException($"object {id} was sent but not wanted (or sent twice)");
    }
}
