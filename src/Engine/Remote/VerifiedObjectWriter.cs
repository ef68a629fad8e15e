using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.WorkingTree;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// Stores objects received from the other side of a connection only once verified: the bytes (a loose-object file,
/// zlib) go to a temporary file as they arrive while they are inflated; the header must name a blob or a tree of
/// the size that follows, the SHA-1 of header and content must be the id it was sent as, the zlib stream must end
/// where the bytes end (its Adler-32 trailer last), and a tree must name only safe entry names with git's modes
/// (and, on a silo, only objects already stored: it is sent after what it names). Only then is the file renamed to
/// the object's name; otherwise it is deleted and <see cref="RemoteProtocolException"/> says what was wrong.
/// Memory stays bounded (a tree's content is held to check it, up to <see cref="MaxTreeBytes"/>).
/// </summary>
public sealed class VerifiedObjectWriter(ObjectStore store, bool requireEntries)
{
    /// <summary>The largest tree accepted (a directory of some hundred thousand entries).</summary>
    public const int MaxTreeBytes = 64 << 20;

    /// <summary>
    /// Inflated bytes hashed at a time: each chunk is one hand-off between the two threads, and the inflater returns
    /// what one inflate call made (about 16 times its 8 KiB input), so chunks are filled first: a thousand hand-offs
    /// per 128 MiB cost more than the hashing of a few of them under load.
    /// </summary>
    private const int ChunkBytes = 1 << 20;

    private static readonly string s_tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
    private static long s_count;

    public async Task WriteAsync(GitObjectId id, Stream source, CancellationToken cancellationToken)
    {
        var objects = store.Loose.Directory;
        Directory.CreateDirectory(objects);
        var tmp = Path.Combine(objects, LooseObjects.TemporaryPrefix + "remote_" + s_tag + "_" + Interlocked.Increment(ref s_count).ToString("x", CultureInfo.InvariantCulture));
        try
        {
            await using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false))
            {
                var copying = new TailKeepingStream(source, file);
                await VerifyAsync(id, copying, cancellationToken);
            }
            Publish(tmp, id);
        }
        catch
        {
            try
            {
                File.Delete(tmp);
            }
            catch (IOException)
            {
            }
            throw;
        }
    }

    private async Task VerifyAsync(GitObjectId id, TailKeepingStream compressed, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var adler = new Adler32();
        // Two buffers: while one is hashed (SHA-1, on another thread for an object larger than a buffer), the inflater
        // fills the other, which also reads the frames, writes the temporary file and sums the Adler-32.
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(ChunkBytes), ArrayPool<byte>.Shared.Rent(ChunkBytes)];
        var hashing = Task.CompletedTask;
        MemoryStream? tree = null;
        try
        {
            await using (var inflater = new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true))
            {
                var (type, size, header) = await ReadHeaderAsync(inflater, id, cancellationToken);
                sha.AppendData(header);
                adler.Append(header);
                if (type == GitObjectType.Tree)
                {
                    if (size > MaxTreeBytes) throw new RemoteProtocolException($"tree {id} is {size} bytes, more than the {MaxTreeBytes} accepted");
                    tree = new MemoryStream((int)size);
                }
                var aside = size > ChunkBytes;
                long total = 0;
                var next = 0;
                int read;
                while ((read = await FillAsync(inflater, buffers[next], id, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > size) throw new RemoteProtocolException($"object {id} holds more than the {size} bytes its header says");
                    var chunk = new ArraySegment<byte>(buffers[next], 0, read);
                    // The Adler-32 on this side, SHA-1 (the slower) on the other: the two threads take about as long.
                    adler.Append(chunk);
                    await hashing;
                    if (aside)
                    {
                        hashing = Task.Run(() => Hash(chunk, sha, tree), cancellationToken);
                    }
                    else
                    {
                        Hash(chunk, sha, tree);
                    }
                    next ^= 1;
                }
                await hashing;
                if (total != size) throw new RemoteProtocolException($"object {id} is cut short: {total} of {size} bytes");
            }
            // What follows the zlib stream must be nothing: its last four bytes are the Adler-32 of what it holds.
            while (await compressed.ReadAsync(buffers[0], cancellationToken) > 0)
            {
            }
            if (compressed.Tail != adler.Value) throw new RemoteProtocolException($"object {id} does not end where its zlib stream ends");
            Span<byte> digest = stackalloc byte[GitObjectId.ByteLength];
            sha.GetHashAndReset(digest);
            if (new GitObjectId(digest) != id) throw new RemoteProtocolException($"object {id} does not match its id: its content hashes to {new GitObjectId(digest)}");
            if (tree is not null) CheckTree(id, tree.GetBuffer().AsSpan(0, (int)tree.Length));
        }
        finally
        {
            // A failed read may leave a chunk being hashed: its buffer goes back to the pool only after.
            await hashing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            foreach (var buffer in buffers) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Hash(ArraySegment<byte> chunk, IncrementalHash sha, MemoryStream? tree)
    {
        sha.AppendData(chunk);
        tree?.Write(chunk);
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; how many bytes it holds.</summary>
    private static async Task<int> FillAsync(Stream inflater, byte[] buffer, GitObjectId id, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await ReadSomeAsync(inflater, buffer.AsMemory(filled), id, cancellationToken)) > 0) filled += read;
        return filled;
    }

    private static async Task<int> ReadSomeAsync(Stream inflater, Memory<byte> buffer, GitObjectId id, CancellationToken cancellationToken)
    {
        try
        {
            return await inflater.ReadAsync(buffer, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new RemoteProtocolException($"object {id} is not a valid zlib stream ({e.Message})", e);
        }
    }

    private static async Task<(GitObjectType Type, long Size, byte[] Header)> ReadHeaderAsync(Stream inflater, GitObjectId id, CancellationToken cancellationToken)
    {
        var header = new byte[32];
        var one = new byte[1];
        var n = 0;
        while (true)
        {
            if (await ReadSomeAsync(inflater, one, id, cancellationToken) == 0 || n == header.Length) throw new RemoteProtocolException($"object {id} has no valid header");
            header[n++] = one[0];
            if (one[0] == 0) break;
        }
        var text = Encoding.ASCII.GetString(header, 0, n - 1);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !GitObjectTypes.TryParse(text.AsSpan(0, space), out var type) || type is not (GitObjectType.Blob or GitObjectType.Tree)
            || !long.TryParse(text.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new RemoteProtocolException($"object {id} has the header '{MessageText.Shown(text)}': only blobs and trees are taken");
        }
        return (type, size, header[..n]);
    }

    /// <summary>A tree's entries: git's modes, safe names, and (on a silo) only objects already stored.</summary>
    private void CheckTree(GitObjectId id, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            var nul = data.IndexOf((byte)0);
            if (space <= 0 || nul < space || nul + 1 + GitObjectId.ByteLength > data.Length)
            {
                throw new RemoteProtocolException($"tree {id} is malformed");
            }
            var mode = Encoding.ASCII.GetString(data[..space]);
            string name;
            try
            {
                name = new UTF8Encoding(false, true).GetString(data[(space + 1)..nul]);
            }
            catch (DecoderFallbackException)
            {
                throw new RemoteProtocolException($"tree {id} has an entry name that is not UTF-8");
            }
            if (!RelativePath.IsSafeName(name)) throw new RemoteProtocolException($"tree {id} has the entry name '{MessageText.Shown(name)}', which no workspace path may have");
            var entry = new GitObjectId(data.Slice(nul + 1, GitObjectId.ByteLength));
            var known = mode is "40000" or "100644" or "100755" or "120000" or "160000";
            if (!known) throw new RemoteProtocolException($"tree {id} gives '{MessageText.Shown(name)}' the mode {MessageText.Shown(mode)}, not one git writes");
            if (requireEntries && mode != "160000" && !store.Contains(entry))
            {
                throw new RemoteProtocolException($"tree {id} names {entry} ('{MessageText.Shown(name)}'), which was never sent and is not stored");
            }
            data = data[(nul + 1 + GitObjectId.ByteLength)..];
        }
    }

    private void Publish(string tmp, GitObjectId id)
    {
        var final = store.LoosePath(id);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        File.Move(tmp, final, overwrite: true);
    }

    /// <summary>Reads through to a copy (the temporary file) and remembers the last four bytes read.</summary>
    private sealed class TailKeepingStream(Stream source, Stream copy) : Stream
    {
        private uint _tail;

        public uint Tail => _tail;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await source.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                copy.Write(buffer.Span[..read]);
                foreach (var b in buffer.Span[Math.Max(0, read - 4)..read]) _tail = (_tail << 8) | b;
            }
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
