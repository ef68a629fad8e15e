using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Retention;

/// <summary>
/// A write-then-read buffer that holds up to <see cref="MemoryBytes"/> in memory and moves to an unlinked temporary
/// file beyond, so data of any size (a delta, a deflated object) can be measured before it is placed, in bounded memory.
/// </summary>
internal sealed class SpillBuffer : Stream
{
    public const int MemoryBytes = 1 << 20;

    private readonly string _directory;
    private MemoryStream? _memory = new();
    private FileStream? _file;
    private long _length;

    public SpillBuffer(string directory) => _directory = directory;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_file is null && _length + buffer.Length > MemoryBytes)
        {
            var path = Path.Combine(_directory, "tmp_spill_" + Guid.NewGuid().ToString("N"));
            _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, 1 << 16);
            // Unlinked at once: the bytes live only as long as the handle, and a killed process leaves nothing.
            File.Delete(path);
            _memory!.Position = 0;
            _memory.CopyTo(_file);
            _memory.Dispose();
            _memory = null;
        }
        if (_file is not null) _file.Write(buffer);
        else _memory!.Write(buffer);
        _length += buffer.Length;
    }

    /// <summary>Reads back what was written, from its start (the buffer takes no more writes meaningfully after this).</summary>
    public Stream OpenRead()
    {
        if (_file is not null)
        {
            _file.Flush();
            _file.Position = 0;
            return new NonClosing(_file);
        }
        return new MemoryStream(_memory!.GetBuffer(), 0, (int)_length, writable: false);
    }

    /// <summary>Empties the buffer for another use (keeps its memory).</summary>
    public void Clear()
    {
        _file?.Dispose();
        _file = null;
        _memory ??= new MemoryStream();
        _memory.SetLength(0);
        _length = 0;
    }

    public override void Flush() => _file?.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file?.Dispose();
            _memory?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Reads the spill file without closing it (the buffer owns it).</summary>
    private sealed class NonClosing(FileStream file) : ForwardOnlyStream
    {
        public override int Read(Span<byte> buffer) => file.Read(buffer);
    }
}
