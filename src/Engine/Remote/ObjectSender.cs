using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// The sending half of a transfer: offers object ids, reads which the receiver wants, and sends those as their
/// loose-object files (zlib), small ones batched into one frame, large ones streamed in frames of at most 1 MiB
/// (bounded memory whatever the size). An object the store holds packed is compressed on the fly.
/// </summary>
public static class ObjectSender
{
    public static async Task<TransferCount> SendAsync(FrameConnection connection, ObjectStore store, IReadOnlyList<DeltaObject> offer, CancellationToken cancellationToken)
    {
        var ids = new byte[Math.Min(offer.Count, Frames.IdsPerFrame) * GitObjectId.ByteLength];
        for (var start = 0; start < offer.Count; start += Frames.IdsPerFrame)
        {
            var count = Math.Min(Frames.IdsPerFrame, offer.Count - start);
            for (var i = 0; i < count; i++) offer[start + i].Id.WriteTo(ids.AsSpan(i * GitObjectId.ByteLength));
            await connection.SendAsync(FrameKind.Offer, ids.AsMemory(0, count * GitObjectId.ByteLength), cancellationToken);
        }
        await connection.SendAsync(FrameKind.OfferEnd, ReadOnlyMemory<byte>.Empty, cancellationToken);

        var offered = new HashSet<GitObjectId>(offer.Select(o => o.Id));
        var wanted = new List<GitObjectId>();
        while (true)
        {
            using var frame = await connection.ReceiveAsync(cancellationToken);
            if (frame.Kind == FrameKind.WantEnd) break;
            if (frame.Kind != FrameKind.Want || frame.Length % GitObjectId.ByteLength != 0) throw FrameConnection.Unexpected(frame, "a want list");
            for (var at = 0; at < frame.Length; at += GitObjectId.ByteLength)
            {
                var id = new GitObjectId(frame.Payload.Span.Slice(at, GitObjectId.ByteLength));
                if (!offered.Remove(id)) throw new RemoteProtocolException($"the receiver wants {id}, which was not offered (or wants it twice)");
                wanted.Add(id);
            }
        }

        var batch = ArrayPool<byte>.Shared.Rent(Frames.MaxPayloadBytes);
        var batched = 0;
        long bytes = 0;
        try
        {
            foreach (var id in wanted)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var small = ReadSmall(store, id);
                if (small is not null)
                {
                    if (batched + 24 + small.Length > Frames.MaxPayloadBytes)
                    {
                        await connection.SendAsync(FrameKind.SmallObjects, batch.AsMemory(0, batched), cancellationToken);
                        batched = 0;
                    }
                    id.WriteTo(batch.AsSpan(batched));
                    BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(batched + GitObjectId.ByteLength), small.Length);
                    small.CopyTo(batch.AsSpan(batched + 24));
                    batched += 24 + small.Length;
                    bytes += small.Length;
                    continue;
                }
                if (batched > 0)
                {
                    await connection.SendAsync(FrameKind.SmallObjects, batch.AsMemory(0, batched), cancellationToken);
                    batched = 0;
                }
                bytes += await SendLargeAsync(connection, store, id, cancellationToken);
            }
            if (batched > 0) await connection.SendAsync(FrameKind.SmallObjects, batch.AsMemory(0, batched), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
        return new TransferCount(offer.Count, wanted.Count, bytes);
    }

    /// <summary>The object's loose-object bytes if they are at most <see cref="Frames.SmallObjectBytes"/>; null for a larger one.</summary>
    private static byte[]? ReadSmall(ObjectStore store, GitObjectId id)
    {
        var path = store.LoosePath(id);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length > Frames.SmallObjectBytes) return null;
            var bytes = new byte[length];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0) throw new RemoteProtocolException($"object {id} shrank while it was read");
                read += n;
            }
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Packed: compressed here from its content.
            var (type, size) = store.ReadTypeAndSize(id);
            if (size > Frames.SmallObjectBytes) return null;
            using var content = store.OpenObject(id, out _, out _);
            var compressed = new MemoryStream();
            using (var deflater = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflater.Write(LooseObjects.Header(type, size));
                content.CopyTo(deflater);
            }
            return compressed.Length <= Frames.SmallObjectBytes ? compressed.ToArray() : null;
        }
    }

    private static async Task<long> SendLargeAsync(FrameConnection connection, ObjectStore store, GitObjectId id, CancellationToken cancellationToken)
    {
        var raw = new byte[GitObjectId.ByteLength];
        id.WriteTo(raw);
        await connection.SendAsync(FrameKind.ObjectStart, raw, cancellationToken);
        long sent;
        await using (var frames = new FrameWritingStream(connection, cancellationToken))
        {
            Stream? file = null;
            try
            {
                file = new FileStream(store.LoosePath(id), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
            }
            if (file is not null)
            {
                await using (file)
                {
                    await file.CopyToAsync(frames, Frames.MaxPayloadBytes, cancellationToken);
                }
            }
            else
            {
                using var content = store.OpenObject(id, out var type, out var size);
                await using var deflater = new ZLibStream(frames, CompressionLevel.Fastest, leaveOpen: true);
                await deflater.WriteAsync(LooseObjects.Header(type, size), cancellationToken);
                await content.CopyToAsync(deflater, 1 << 17, cancellationToken);
            }
            await frames.FlushAsync(cancellationToken);
            sent = frames.Written;
        }
        await connection.SendAsync(FrameKind.ObjectEnd, ReadOnlyMemory<byte>.Empty, cancellationToken);
        return sent;
    }
}
