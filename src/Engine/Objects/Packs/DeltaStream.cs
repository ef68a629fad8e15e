using System.Buffers;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// A delta applied as it is read: instructions are inflated a buffer at a time, copies read the base through
/// <see cref="DeltaBase"/>, inserts come from the delta itself. Memory stays a few buffers whatever the sizes; a chain
/// of deltas is a chain of these streams, each reading the one below as its base.
/// </summary>
internal sealed class DeltaStream : ForwardOnlyStream
{
    private const int BufferBytes = 16 * 1024;

    private readonly Stream _delta;
    private readonly DeltaBase _base;
    private readonly long _length;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private long _position;
    private bool _copying;
    private long _remaining;
    private long _copyFrom;

    /// <param name="delta">The delta's instructions, just after its two header sizes.</param>
    /// <param name="deltaBase">The base, whose size the delta header declared.</param>
    /// <param name="length">The result's size from the delta header.</param>
    public DeltaStream(Stream delta, DeltaBase deltaBase, long length)
    {
        _delta = delta;
        _base = deltaBase;
        _length = length;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    }

    public override int Read(Span<byte> buffer)
    {
        if (_position == _length)
        {
            // Past the result: the instructions must be used up (reading on lets zlib check the delta's checksum).
            if (_remaining != 0 || _start != _end || _delta.Read(_buffer!, 0, 1) != 0)
            {
                throw new InvalidDataException($"A delta holds instructions beyond the {_length} bytes its header declares.");
            }
            return 0;
        }
        var total = 0;
        while (total < buffer.Length && _position < _length)
        {
            if (_remaining == 0) NextInstruction();
            var n = (int)Math.Min(buffer.Length - total, _remaining);
            var target = buffer.Slice(total, n);
            if (_copying)
            {
                _base.Read(_copyFrom, target);
                _copyFrom += n;
            }
            else
            {
                ReadLiteral(target);
            }
            _remaining -= n;
            _position += n;
            total += n;
        }
        return total;
    }

    private void NextInstruction()
    {
        var cmd = NextByte();
        if ((cmd & 0x80) != 0)
        {
            long offset = 0;
            for (var i = 0; i < 4; i++)
            {
                if ((cmd & (1 << i)) != 0) offset |= (long)NextByte() << (8 * i);
            }
            long size = 0;
            for (var i = 0; i < 3; i++)
            {
                if ((cmd & (0x10 << i)) != 0) size |= (long)NextByte() << (8 * i);
            }
            if (size == 0) size = DeltaFormat.MaxCopy;
            if (offset + size > _base.Size)
            {
                throw new InvalidDataException($"A delta copies bytes {offset}..{offset + size} of a base of {_base.Size} bytes.");
            }
            _copying = true;
            _copyFrom = offset;
            _remaining = size;
        }
        else if (cmd != 0)
        {
            _copying = false;
            _remaining = cmd;
        }
        else
        {
            throw new InvalidDataException("A delta holds the reserved instruction 0.");
        }
        if (_position + _remaining > _length)
        {
            throw new InvalidDataException($"A delta writes past the {_length} bytes its header declares.");
        }
    }

    private byte NextByte()
    {
        if (_start == _end) Fill();
        return _buffer![_start++];
    }

    private void ReadLiteral(Span<byte> target)
    {
        while (!target.IsEmpty)
        {
            if (_start == _end) Fill();
            var n = Math.Min(target.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(target);
            _start += n;
            target = target[n..];
        }
    }

    private void Fill()
    {
        _start = 0;
        _end = _delta.Read(_buffer!, 0, BufferBytes);
        if (_end == 0) throw new InvalidDataException($"A delta's instructions end after {_position} of {_length} bytes.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _delta.Dispose();
            _base.Dispose();
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }
        base.Dispose(disposing);
    }
}
