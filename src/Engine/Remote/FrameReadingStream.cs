namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// A read-only stream of one large object's bytes: the payloads of <see cref="FrameKind.ObjectData"/> frames up to
/// the <see cref="FrameKind.ObjectEnd"/> frame, taken off the connection only as they are read (bounded memory).
/// </summary>
internal sealed class FrameReadingStream(FrameConnection connection, CancellationToken cancellationToken) : Stream
{
    private Frame? _current;
    private int _offset;
    private bool _ended;

    public long Received { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously only");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken token) => ReadAsync(buffer.AsMemory(offset, count), token).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken token = default)
    {
        while (!_ended)
        {
            if (_current is { } frame && _offset < frame.Length)
            {
                var take = Math.Min(buffer.Length, frame.Length - _offset);
                frame.Payload.Slice(_offset, take).CopyTo(buffer);
                _offset += take;
                Received += take;
                return take;
            }
            _current?.Dispose();
            _current = null;
            var next = await connection.ReceiveAsync(cancellationToken);
            if (next.Kind == FrameKind.ObjectEnd)
            {
                next.Dispose();
                _ended = true;
                break;
            }
            if (next.Kind != FrameKind.ObjectData)
            {
                using (next)
                {
                    throw FrameConnection.Unexpected(next, "the object's bytes");
                }
            }
            _current = next;
            _offset = 0;
        }
        return 0;
    }

    /// <summary>Reads to the object's end; true if there were bytes left (after a complete zlib stream).</summary>
    public async Task<bool> DrainAsync()
    {
        var scratch = new byte[4096];
        var any = false;
        while (await ReadAsync(scratch) > 0) any = true;
        return any;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _current?.Dispose();
        _current = null;
        base.Dispose(disposing);
    }
}
