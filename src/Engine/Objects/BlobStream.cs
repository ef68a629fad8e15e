namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// An object's content, produced as it is read (inflated, and delta-applied if packed as a delta); forward only.
/// <see cref="Length"/> comes from the object's header. A damaged object surfaces as a
/// <see cref="CorruptObjectException"/> naming the object and its store, whatever failed underneath.
/// </summary>
public sealed class BlobStream : Stream
{
    private readonly Stream _content;
    private readonly long _length;
    private readonly GitObjectId _id;
    private readonly string _store;
    private long _position;

    internal BlobStream(Stream content, long length, GitObjectId id, string store)
    {
        _content = content;
        _length = length;
        _id = id;
        _store = store;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var remaining = _length - _position;
        if (remaining <= 0) return 0;
        if (buffer.Length > remaining) buffer = buffer[..(int)remaining];
        int n;
        try
        {
            n = _content.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptObjectException(_id, _store, e.Message.TrimEnd('.'), e);
        }
        if (n == 0)
        {
            throw new CorruptObjectException(_id, _store, $"its content ends after {_position} of {_length} bytes");
        }
        _position += n;
        if (_position == _length) VerifyEnd();
        return n;
    }

    /// <summary>At the last byte: the content must end here (and zlib checks its trailing checksum on the way).</summary>
    private void VerifyEnd()
    {
        Span<byte> one = stackalloc byte[1];
        int extra;
        try
        {
            extra = _content.Read(one);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptObjectException(_id, _store, e.Message.TrimEnd('.'), e);
        }
        if (extra != 0)
        {
            throw new CorruptObjectException(_id, _store, $"its content is longer than the {_length} bytes its header declares");
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _content.Dispose();
        base.Dispose(disposing);
    }
}
