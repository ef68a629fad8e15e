using System.Buffers;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// One received frame; its payload lives in a pooled buffer returned by <see cref="Dispose"/>, after the kind byte
/// as the message arrived (not moved to the front: a copy of up to 1 MiB per frame saved).
/// </summary>
public sealed class Frame : IDisposable
{
    private byte[]? _buffer;

    internal Frame(FrameKind kind, byte[] buffer, int length)
    {
        Kind = kind;
        _buffer = buffer;
        Length = length;
    }

    public FrameKind Kind { get; }

    public int Length { get; }

    public ReadOnlyMemory<byte> Payload => (_buffer ?? throw new ObjectDisposedException(nameof(Frame))).AsMemory(1, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
    }
}
