namespace AgentSnapshots.Tests.ObjectStorage;

/// <summary>
/// A forward-only stream of <see cref="Length"/> deterministic bytes (byte i is a function of the seed and i), as a pack
/// written on the fly reaches a backend: it cannot seek and says no length. With <c>failAfter</c> it throws an
/// <see cref="IOException"/> once that many bytes were read (a writer that died mid-upload).
/// </summary>
internal sealed class GeneratedContentStream(long length, int seed, long? failAfter = null) : ForwardOnlyStream
{
    private long _position;

    public long Count => length;

    /// <summary>The byte at <paramref name="offset"/> of every stream made with <paramref name="seed"/>.</summary>
    public static byte At(long offset, int seed) => unchecked((byte)((offset * 2654435761L + seed * 40503L) >> 7));

    /// <summary>Bytes [offset, offset + count) of the content.</summary>
    public static byte[] Expected(long offset, int count, int seed)
    {
        var bytes = new byte[count];
        for (var i = 0; i < count; i++)
        {
            bytes[i] = At(offset + i, seed);
        }

        return bytes;
    }

    public override int Read(Span<byte> buffer)
    {
        if (failAfter is { } limit && _position >= limit)
        {
            throw new IOException($"The content's writer failed after {limit} bytes.");
        }

        var count = (int)Math.Min(buffer.Length, Math.Min(length - _position, (failAfter ?? long.MaxValue) - _position));
        for (var i = 0; i < count; i++)
        {
            buffer[i] = At(_position + i, seed);
        }

        _position += count;
        return count;
    }
}
