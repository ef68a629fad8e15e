using System.Buffers;
using System.IO.Hashing;

namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// Reads a stream line by line (git's records: bytes up to and including '\n'; a last line may lack it) through one
/// pooled buffer, giving each line's 64-bit hash and length and the first bytes of its text. A line longer than the
/// buffer is hashed incrementally, so memory stays constant whatever the line and stream sizes.
/// </summary>
internal sealed class LineReader : IDisposable
{
    internal const int DefaultBufferBytes = 256 * 1024;

    private readonly Stream _stream;
    private readonly CancellationToken _cancellationToken;
    private readonly byte[] _head;
    private byte[] _buffer;
    private XxHash3? _hasher;
    private int _pos;
    private int _end;
    private int _headStart;
    private bool _headInBuffer;
    private bool _eof;

    public LineReader(Stream stream, int headBytes, CancellationToken cancellationToken, int bufferBytes = DefaultBufferBytes)
    {
        _stream = stream;
        _cancellationToken = cancellationToken;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferBytes, 1024));
        _head = new byte[Math.Clamp(headBytes, 1, _buffer.Length)];
    }

    /// <summary>The current line's hash (of all its bytes, '\n' included).</summary>
    public ulong Hash { get; private set; }

    /// <summary>The current line's length in bytes, '\n' included.</summary>
    public long Length { get; private set; }

    /// <summary>Whether the current line ends with '\n' (only a stream's last line may not).</summary>
    public bool EndsWithNewline { get; private set; }

    /// <summary>Lines read or skipped so far.</summary>
    public long Lines { get; private set; }

    /// <summary>Bytes of the lines read or skipped so far.</summary>
    public long Consumed { get; private set; }

    /// <summary>The first bytes of the current line (at most the head size given), valid until the next read.</summary>
    public ReadOnlySpan<byte> Head
    {
        get
        {
            var n = (int)Math.Min(Length, _head.Length);
            return _headInBuffer ? _buffer.AsSpan(_headStart, n) : _head.AsSpan(0, n);
        }
    }

    /// <summary>The first <paramref name="count"/> bytes of the stream (fewer if it is shorter), before any line is read.</summary>
    public ReadOnlySpan<byte> PeekStart(int count)
    {
        while (_end - _pos < count && !_eof && _end < _buffer.Length)
        {
            Fill();
        }
        return _buffer.AsSpan(_pos, Math.Min(count, _end - _pos));
    }

    /// <summary>Reads the next line; false at the end of the stream.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Next()
    {
        while (true)
        {
            var avail = _buffer.AsSpan(_pos, _end - _pos);
            var nl = avail.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var line = avail[..(nl + 1)];
                Hash = XxHash3.HashToUInt64(line);
                SetLine(nl + 1, true);
                return true;
            }
            if (_eof)
            {
                if (avail.IsEmpty) return false;
                Hash = XxHash3.HashToUInt64(avail);
                SetLine(avail.Length, false);
                return true;
            }
            if (_pos > 0 && _end == _buffer.Length)
            {
                Compact();
            }
            else if (_pos == 0 && _end == _buffer.Length)
            {
                ReadLongLine();
                return true;
            }
            Fill();
        }
    }

    /// <summary>Skips up to <paramref name="count"/> lines without hashing them; returns how many were skipped.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public long Skip(long count)
    {
        long skipped = 0;
        while (skipped < count)
        {
            var avail = _buffer.AsSpan(_pos, _end - _pos);
            if (avail.IsEmpty)
            {
                if (_eof) break;
                Fill();
                continue;
            }
            var want = count - skipped;
            var inChunk = avail.Count((byte)'\n');
            if (inChunk < want)
            {
                // Every newline here is skipped; the bytes after the last one belong to a line skipped later.
                skipped += inChunk;
                Consumed += avail.Length;
                _pos = _end;
                if (_eof)
                {
                    // A last line without '\n' counts as one line.
                    if (avail[^1] != (byte)'\n') skipped++;
                    break;
                }
                continue;
            }
            var offset = 0;
            for (long i = 0; i < want; i++)
            {
                offset += avail[offset..].IndexOf((byte)'\n') + 1;
            }
            skipped += want;
            Consumed += offset;
            _pos += offset;
        }
        Lines += skipped;
        return skipped;
    }

    private void SetLine(int length, bool newline)
    {
        Length = length;
        EndsWithNewline = newline;
        _headInBuffer = true;
        _headStart = _pos;
        _pos += length;
        Lines++;
        Consumed += length;
    }

    private void ReadLongLine()
    {
        _hasher ??= new XxHash3();
        _hasher.Reset();
        _buffer.AsSpan(0, _head.Length).CopyTo(_head);
        _headInBuffer = false;
        long length = 0;
        var newline = false;
        while (true)
        {
            var avail = _buffer.AsSpan(_pos, _end - _pos);
            var nl = avail.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                _hasher.Append(avail[..(nl + 1)]);
                length += nl + 1;
                _pos += nl + 1;
                newline = true;
                break;
            }
            _hasher.Append(avail);
            length += avail.Length;
            _pos = _end;
            if (_eof) break;
            Fill();
            if (_eof && _pos == _end) break;
        }
        Hash = _hasher.GetCurrentHashAsUInt64();
        Length = length;
        EndsWithNewline = newline;
        Lines++;
        Consumed += length;
    }

    private void Compact()
    {
        var rest = _end - _pos;
        Buffer.BlockCopy(_buffer, _pos, _buffer, 0, rest);
        _pos = 0;
        _end = rest;
    }

    private void Fill()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (_pos == _end)
        {
            _pos = _end = 0;
        }
        if (_end == _buffer.Length) return;
        var n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0)
        {
            _eof = true;
        }
        else
        {
            _end += n;
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
