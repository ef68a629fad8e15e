using System.Buffers;

namespace AgentSnapshots.Engine.Remote;

/// <summary>One received frame; its payload lives in a pooled buffer returned by <see cref="Dispose"/>.</summary>
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

    public ReadOnlyMemory<byte> Payload => (_buffer ?? throw new ObjectDisposedException(nameof(Frame))).AsMemory(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
    }
}
