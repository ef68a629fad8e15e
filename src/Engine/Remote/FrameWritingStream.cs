using System.Buffers;

namespace AgentSnapshots.Engine.Remote;

/// <summary>A write-only stream that sends what is written as <see cref="FrameKind.ObjectData"/> frames of up to 1 MiB.</summary>
internal sealed class FrameWritingStream(FrameConnection connection, CancellationToken cancellationToken) : Stream
{
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(Frames.MaxPayloadBytes);
    private int _used;
    private bool _returned;

    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("written asynchronously only");

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, Frames.MaxPayloadBytes - _used);
            buffer[..take].CopyTo(_buffer.AsMemory(_used));
            _used += take;
            buffer = buffer[take..];
            Written += take;
            if (_used == Frames.MaxPayloadBytes) await SendAsync();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken token) => WriteAsync(buffer.AsMemory(offset, count), token).AsTask();

    public override async Task FlushAsync(CancellationToken token)
    {
        if (_used > 0) await SendAsync();
    }

    public override void Flush()
    {
    }

    private async Task SendAsync()
    {
        await connection.SendAsync(FrameKind.ObjectData, _buffer.AsMemory(0, _used), cancellationToken);
        _used = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_returned)
        {
            _returned = true;
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        base.Dispose(disposing);
    }
}
