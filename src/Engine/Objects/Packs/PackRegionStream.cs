using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// A forward-only window of a pack file (from an entry's start to the end of the entries), read with positional reads
/// on a handle of its own: every reader of a pack is independent of the others, and a pack deleted while it is read
/// stays readable until the reader closes.
/// </summary>
internal sealed class PackRegionStream : ForwardOnlyStream
{
    private readonly SafeFileHandle _handle;
    private readonly PackFile _pack;
    private readonly long _end;
    private long _position;

    public PackRegionStream(PackFile pack, long start, long end)
    {
        _pack = pack;
        _handle = pack.OpenHandle();
        _position = start;
        _end = end;
    }

    public override int Read(Span<byte> buffer)
    {
        var left = _end - _position;
        if (left <= 0) return 0;
        if (buffer.Length > left) buffer = buffer[..(int)left];
        _pack.Sparse?.Ensure(_handle, _position, buffer.Length, readAhead: true);
        var n = RandomAccess.Read(_handle, buffer, _position);
        _position += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _handle.Dispose();
        base.Dispose(disposing);
    }
}
