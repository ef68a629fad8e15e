using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// The base of a delta as its applier reads it, in bounded memory whatever its size. The base is read forward as a
/// stream, a chunk at a time, into a ring of the last <see cref="WindowBytes"/> read, from which copies are served: a
/// copy that steps back a little is served from memory and a copy further ahead reads forward to it. A copy further
/// back than the ring (git's encoder makes them: it copies from anywhere in the base) re-reads the base once into an
/// unlinked temporary file beside the store, and every later copy reads that file at its offset: the cost of going
/// back is one more pass over the base, however many times a delta does it.
/// </summary>
internal sealed class DeltaBase : IDisposable
{
    public const int WindowBytes = 128 * 1024;

    /// <summary>Bytes read from the base stream at a time (small copies are served from the ring, not one read each).</summary>
    private const int FillBytes = 32 * 1024;

    /// <summary>How far behind the furthest byte a delta copied the ring always still holds.</summary>
    public const int GuaranteedLookback = WindowBytes - FillBytes;

    private readonly Func<Stream> _reopen;
    private readonly string _spillDirectory;
    private Stream _stream;
    private long _end;
    private byte[]? _ring;
    private int _filled;
    private FileStream? _spill;

    /// <param name="stream">The base's content, at its start.</param>
    /// <param name="size">The base's length.</param>
    /// <param name="reopen">Opens the base's content again from its start (for a copy that goes back beyond the ring).</param>
    /// <param name="spillDirectory">Where the temporary copy of the base goes if one is needed.</param>
    public DeltaBase(Stream stream, long size, Func<Stream> reopen, string spillDirectory)
    {
        _stream = stream;
        Size = size;
        _reopen = reopen;
        _spillDirectory = spillDirectory;
    }

    public long Size { get; }

    /// <summary>Times a process re-read a base into a temporary file because a copy went back beyond the ring (for measurements).</summary>
    public static long Spills => Interlocked.Read(ref s_spills);

    private static long s_spills;

    /// <summary>Fills <paramref name="destination"/> with the base's bytes from <paramref name="offset"/>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > Size)
        {
            throw new InvalidDataException($"A delta copies bytes {offset}..{offset + destination.Length} of a base of {Size} bytes.");
        }
        while (!destination.IsEmpty)
        {
            if (_spill is not null)
            {
                ReadSpill(offset, destination);
                return;
            }
            if (offset < _end - _filled)
            {
                SpillBase();
                continue;
            }
            if (offset < _end)
            {
                var n = (int)Math.Min(destination.Length, _end - offset);
                CopyFromRing(offset, destination[..n]);
                offset += n;
                destination = destination[n..];
                continue;
            }
            if (offset == _end && destination.Length >= FillBytes)
            {
                // A long copy goes straight to its destination; the ring keeps its tail.
                var read = _stream.Read(destination);
                if (read == 0) throw Truncated();
                Remember(destination[..read]);
                offset += read;
                destination = destination[read..];
                continue;
            }
            Fill();
        }
    }

    /// <summary>Reads the next chunk of the base into the ring.</summary>
    private void Fill()
    {
        _ring ??= ArrayPool<byte>.Shared.Rent(WindowBytes);
        var at = (int)(_end % WindowBytes);
        var want = (int)Math.Min(Math.Min(FillBytes, WindowBytes - at), Size - _end);
        var read = _stream.Read(_ring, at, want);
        if (read == 0) throw Truncated();
        _end += read;
        _filled = Math.Min(WindowBytes, _filled + read);
    }

    private InvalidDataException Truncated() => new($"A delta's base ends after {_end} of {Size} bytes.");

    /// <summary>Keeps the tail of bytes just read from the stream in the ring (ring position = base offset mod its size).</summary>
    private void Remember(ReadOnlySpan<byte> bytes)
    {
        _ring ??= ArrayPool<byte>.Shared.Rent(WindowBytes);
        var end = _end + bytes.Length;
        if (bytes.Length > WindowBytes) bytes = bytes[^WindowBytes..];
        var at = (int)((end - bytes.Length) % WindowBytes);
        var first = Math.Min(bytes.Length, WindowBytes - at);
        bytes[..first].CopyTo(_ring.AsSpan(at));
        bytes[first..].CopyTo(_ring);
        _end = end;
        _filled = (int)Math.Min(WindowBytes, _filled + bytes.Length);
    }

    private void CopyFromRing(long offset, Span<byte> destination)
    {
        var at = (int)(offset % WindowBytes);
        var first = Math.Min(destination.Length, WindowBytes - at);
        _ring.AsSpan(at, first).CopyTo(destination);
        _ring.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    private void SpillBase()
    {
        Interlocked.Increment(ref s_spills);
        var path = Path.Combine(_spillDirectory, "tmp_delta_base_" + Guid.NewGuid().ToString("N"));
        var spill = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, 1, FileOptions.None);
        try
        {
            // Unlinked at once: the bytes live only as long as the handle, and a killed process leaves nothing.
            File.Delete(path);
            using (var again = _reopen())
            {
                var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
                try
                {
                    long copied = 0;
                    int n;
                    while (copied < Size && (n = again.Read(buffer, 0, (int)Math.Min(buffer.Length, Size - copied))) > 0)
                    {
                        RandomAccess.Write(spill.SafeFileHandle, buffer.AsSpan(0, n), copied);
                        copied += n;
                    }
                    if (copied != Size) throw new InvalidDataException($"A delta's base ends after {copied} of {Size} bytes.");
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch
        {
            spill.Dispose();
            throw;
        }
        _stream.Dispose();
        _stream = Stream.Null;
        _spill = spill;
    }

    private void ReadSpill(long offset, Span<byte> destination)
    {
        SafeFileHandle handle = _spill!.SafeFileHandle;
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, offset);
            if (n == 0) throw new InvalidDataException("The temporary copy of a delta's base is short.");
            offset += n;
            destination = destination[n..];
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _spill?.Dispose();
        if (_ring is not null)
        {
            ArrayPool<byte>.Shared.Return(_ring);
            _ring = null;
        }
    }
}
