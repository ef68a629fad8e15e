using System.Buffers;
using System.Runtime.InteropServices;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// Computes a git delta of a target against a base in fixed memory, whatever their sizes: both are read forward once.
/// The base is held in a sliding window of <see cref="WindowBytes"/> around where the last copy ended (a little behind,
/// mostly ahead), and indexed by a hash of each aligned 16-byte block into a fixed table of candidate positions.
/// The target is scanned byte by byte: first against the "diagonal" (the base position that follows the last copy,
/// give or take a few bytes, which catches in-place edits of every line), then through the index; a match is extended
/// backwards over pending literals and forwards as far as the bytes agree. A candidate far from the diagonal must
/// match for a long run to be taken, so repetitive text does not drag the window away. Copies never go back further
/// than the applier's ring is sure to hold (<see cref="DeltaBase.GuaranteedLookback"/>), so our deltas are read in one
/// pass over their base.
/// </summary>
internal sealed class DeltaEncoder
{
    public const int WindowBytes = 8 << 20;
    private const int BlockBytes = 16;
    private const int LoadBytes = 1 << 20;
    private const int TargetBufferBytes = 1 << 20;
    private const int BucketBits = 18;
    private const int Ways = 4;
    private const int MaxShift = 8;
    private const long NearBytes = 64 * 1024;
    private const int FarMinMatch = 256;
    private const int CandidateProbe = 1024;
    private const int OutputBufferBytes = 64 * 1024;

    /// <summary>How far back of the furthest copied base byte a copy may start: what the applier's ring always holds.</summary>
    private const long BackwardSlack = DeltaBase.GuaranteedLookback;

    private static DeltaEncoder? s_spare;

    private readonly byte[] _base = new byte[WindowBytes];
    private readonly uint[] _slots = new uint[(1 << BucketBits) * Ways];
    private readonly byte[] _target = new byte[TargetBufferBytes];
    private readonly byte[] _pending = new byte[DeltaFormat.MaxInsert];
    private readonly byte[] _out = new byte[OutputBufferBytes];

    /// <summary>Slots hold <c>_slotBase + block + 1</c>: values from earlier encodings are below the base and read as empty, so the table is cleared only when the numbers run out.</summary>
    private uint _slotBase;
    private uint _slotHigh;

    private Stream _baseStream = Stream.Null;
    private long _baseSize;
    private long _baseStart;
    private int _baseLength;
    private long _indexedUpTo;
    private long _expected;

    private Stream _targetStream = Stream.Null;
    private long _targetSize;
    private long _targetStart;
    private int _targetLength;

    private int _pendingCount;
    private Stream _output = Stream.Null;
    private int _outCount;
    private long _written;
    private long _budget;

    /// <summary>An encoder to use and give back with <see cref="Return"/>: one is kept for the process, so collections do not allocate its window each time.</summary>
    public static DeltaEncoder Rent() => Interlocked.Exchange(ref s_spare, null) ?? new DeltaEncoder();

    public static void Return(DeltaEncoder encoder) => Volatile.Write(ref s_spare, encoder);

    /// <summary>
    /// Writes the delta that turns <paramref name="baseContent"/> into <paramref name="target"/> to <paramref name="output"/>.
    /// Returns false, having written part of it, as soon as the delta would be longer than <paramref name="maxDeltaBytes"/>
    /// (or clearly will be); its length otherwise.
    /// </summary>
    public bool TryEncode(Stream baseContent, long baseSize, Stream target, long targetSize, Stream output, long maxDeltaBytes, out long deltaBytes)
    {
        Reset(baseContent, baseSize, target, targetSize, output, maxDeltaBytes);
        Span<byte> header = stackalloc byte[20];
        var n = DeltaFormat.WriteSize(header, baseSize);
        n += DeltaFormat.WriteSize(header[n..], targetSize);
        Emit(header[..n]);
        var ok = Encode();
        if (ok)
        {
            FlushPending();
            FlushOutput();
            if (target.ReadByte() >= 0) throw new InvalidDataException($"The delta target holds more than its {targetSize} bytes.");
        }
        deltaBytes = _written;
        _baseStream = _targetStream = _output = Stream.Null;
        return ok && _written <= _budget;
    }

    private void Reset(Stream baseContent, long baseSize, Stream target, long targetSize, Stream output, long maxDeltaBytes)
    {
        _baseStream = baseContent;
        _baseSize = baseSize;
        _baseStart = 0;
        _baseLength = 0;
        _indexedUpTo = 0;
        _expected = 0;
        var blocks = (uint)(Math.Min(baseSize, DeltaFormat.MaxCopyOffset) / BlockBytes) + 1;
        if (_slotHigh > uint.MaxValue - blocks)
        {
            Array.Clear(_slots);
            _slotHigh = 0;
        }
        _slotBase = _slotHigh;
        _targetStream = target;
        _targetSize = targetSize;
        _targetStart = 0;
        _targetLength = 0;
        _pendingCount = 0;
        _output = output;
        _outCount = 0;
        _written = 0;
        _budget = maxDeltaBytes;
    }

    private bool Encode()
    {
        long t = 0;
        long diagonal = 0;
        var haveDiagonal = false;
        long baseHigh = 0;
        while (t < _targetSize)
        {
            if (_written + _outCount > _budget) return false;
            if (t > 4 * LoadBytes && (_written + _outCount) * 4 > t * 3) return false; // mostly literals: no delta worth having
            EnsureTarget(t, BlockBytes);
            var available = _targetStart + _targetLength - t;
            if (available < BlockBytes)
            {
                for (var i = 0; i < available; i++) AddLiteral(_target[(int)(t - _targetStart) + i]);
                t += available;
                if (available == 0) throw new InvalidDataException($"The delta target ends after {t} of {_targetSize} bytes.");
                continue;
            }
            EnsureBase(Math.Min(_baseSize, _expected + WindowBytes - BackwardSlack - LoadBytes));
            var floor = Math.Max(_baseStart, baseHigh - BackwardSlack);
            var block = _target.AsSpan((int)(t - _targetStart), BlockBytes);
            var found = haveDiagonal ? OnDiagonal(block, t + diagonal, floor) : -1;
            if (found < 0) found = FromIndex(t, block, haveDiagonal ? t + diagonal : _expected, floor);
            if (found < 0)
            {
                AddLiteral(block[0]);
                t++;
                continue;
            }

            // Take back pending literals the base also holds just before the match.
            var back = 0;
            while (back < _pendingCount && found - back - 1 >= floor && _base[(int)(found - back - 1 - _baseStart)] == _pending[_pendingCount - 1 - back])
            {
                back++;
            }
            _pendingCount -= back;
            FlushPending();
            var start = found - back;
            var length = back + ExtendForward(t, found);
            EmitCopies(start, length);
            t += length - back;
            diagonal = start - (t - length);
            haveDiagonal = true;
            baseHigh = Math.Max(baseHigh, start + length);
            _expected = start + length;
        }
        return true;
    }

    /// <summary>The base position on the diagonal (or a few bytes either side of it) whose block equals the target's, or -1.</summary>
    private long OnDiagonal(ReadOnlySpan<byte> block, long predicted, long floor)
    {
        for (var k = 0; k <= MaxShift; k++)
        {
            if (Matches(block, predicted + k, floor)) return predicted + k;
            if (k > 0 && Matches(block, predicted - k, floor)) return predicted - k;
        }
        return -1;
    }

    private bool Matches(ReadOnlySpan<byte> block, long at, long floor) =>
        at >= floor && at + BlockBytes <= _baseStart + _baseLength && at + BlockBytes <= DeltaFormat.MaxCopyOffset
        && block.SequenceEqual(_base.AsSpan((int)(at - _baseStart), BlockBytes));

    /// <summary>The best indexed base position for the target's block at <paramref name="t"/>, or -1.</summary>
    private long FromIndex(long t, ReadOnlySpan<byte> block, long predicted, long floor)
    {
        var bucket = Bucket(block) * Ways;
        long best = -1;
        var bestLength = 0;
        var bestDistance = long.MaxValue;
        var probe = (int)Math.Min(CandidateProbe, _targetStart + _targetLength - t);
        var targetProbe = _target.AsSpan((int)(t - _targetStart), probe);
        for (var w = 0; w < Ways; w++)
        {
            var slot = _slots[bucket + w];
            if (slot <= _slotBase) break;
            var at = (long)(slot - _slotBase - 1) * BlockBytes;
            if (!Matches(block, at, floor)) continue;
            var n = (int)Math.Min(probe, _baseStart + _baseLength - at);
            var length = targetProbe[..n].CommonPrefixLength(_base.AsSpan((int)(at - _baseStart), n));
            var distance = Math.Abs(at - predicted);
            if (distance > NearBytes && length < FarMinMatch) continue;
            if (length > bestLength || (length == bestLength && distance < bestDistance))
            {
                best = at;
                bestLength = length;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>How many bytes from target <paramref name="t"/> equal the base from <paramref name="at"/> (reading both further as needed).</summary>
    private long ExtendForward(long t, long at)
    {
        long total = 0;
        while (true)
        {
            EnsureTarget(t, BlockBytes);
            var targetAvailable = _targetStart + _targetLength - t;
            _expected = at;
            EnsureBase(Math.Min(_baseSize, at + LoadBytes));
            var baseAvailable = Math.Min(_baseStart + _baseLength, DeltaFormat.MaxCopyOffset) - at;
            var n = (int)Math.Min(Math.Min(targetAvailable, baseAvailable), int.MaxValue);
            if (n <= 0) return total;
            var common = _target.AsSpan((int)(t - _targetStart), n).CommonPrefixLength(_base.AsSpan((int)(at - _baseStart), n));
            total += common;
            t += common;
            at += common;
            if (common < n) return total;
        }
    }

    /// <summary>Makes target bytes [t, t + need) present if the target has them (it keeps nothing before t).</summary>
    private void EnsureTarget(long t, int need)
    {
        var end = _targetStart + _targetLength;
        if (t + need <= end || end == _targetSize) return;
        var keep = (int)(end - t);
        _target.AsSpan((int)(t - _targetStart), keep).CopyTo(_target);
        _targetStart = t;
        _targetLength = keep;
        while (_targetLength < _target.Length && _targetStart + _targetLength < _targetSize)
        {
            var want = (int)Math.Min(_target.Length - _targetLength, _targetSize - _targetStart - _targetLength);
            var n = _targetStream.Read(_target, _targetLength, want);
            if (n == 0) throw new InvalidDataException($"The delta target ends after {_targetStart + _targetLength} of {_targetSize} bytes.");
            _targetLength += n;
        }
    }

    /// <summary>Reads the base up to <paramref name="end"/> (as far as the window allows, dropping bytes well behind the last copy) and indexes it.</summary>
    private void EnsureBase(long end)
    {
        while (_baseStart + _baseLength < end)
        {
            if (_baseLength == _base.Length)
            {
                var keepFrom = Math.Max(_baseStart, _expected - BackwardSlack);
                var drop = (int)Math.Min(_baseLength, keepFrom - _baseStart);
                drop -= drop % BlockBytes;
                if (drop <= 0) return;
                _base.AsSpan(drop, _baseLength - drop).CopyTo(_base);
                _baseStart += drop;
                _baseLength -= drop;
            }
            var want = (int)Math.Min(Math.Min(_base.Length - _baseLength, LoadBytes), _baseSize - _baseStart - _baseLength);
            var n = _baseStream.Read(_base, _baseLength, want);
            if (n == 0) throw new InvalidDataException($"The delta base ends after {_baseStart + _baseLength} of {_baseSize} bytes.");
            _baseLength += n;
            Index();
        }
    }

    private void Index()
    {
        var end = Math.Min(_baseStart + _baseLength, DeltaFormat.MaxCopyOffset);
        while (_indexedUpTo + BlockBytes <= end)
        {
            var bucket = Bucket(_base.AsSpan((int)(_indexedUpTo - _baseStart), BlockBytes)) * Ways;
            // Newest first: the window moves forward, so the newest positions are the ones still in it.
            _slots.AsSpan(bucket, Ways - 1).CopyTo(_slots.AsSpan(bucket + 1, Ways - 1));
            _slots[bucket] = _slotBase + (uint)(_indexedUpTo / BlockBytes) + 1;
            _slotHigh = Math.Max(_slotHigh, _slots[bucket]);
            _indexedUpTo += BlockBytes;
        }
    }

    private static int Bucket(ReadOnlySpan<byte> block)
    {
        var a = MemoryMarshal.Read<ulong>(block);
        var b = MemoryMarshal.Read<ulong>(block[8..]);
        var h = (a * 0x9E3779B97F4A7C15UL) ^ (b * 0xC2B2AE3D27D4EB4FUL);
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        return (int)(h >> (64 - BucketBits));
    }

    private void AddLiteral(byte b)
    {
        _pending[_pendingCount++] = b;
        if (_pendingCount == _pending.Length) FlushPending();
    }

    private void FlushPending()
    {
        if (_pendingCount == 0) return;
        Span<byte> count = [(byte)_pendingCount];
        Emit(count);
        Emit(_pending.AsSpan(0, _pendingCount));
        _pendingCount = 0;
    }

    private void EmitCopies(long offset, long length)
    {
        Span<byte> op = stackalloc byte[8];
        while (length > 0)
        {
            var size = (int)Math.Min(length, DeltaFormat.MaxCopy);
            Emit(op[..DeltaFormat.WriteCopy(op, offset, size)]);
            offset += size;
            length -= size;
        }
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (_outCount + bytes.Length > _out.Length) FlushOutput();
        bytes.CopyTo(_out.AsSpan(_outCount));
        _outCount += bytes.Length;
    }

    private void FlushOutput()
    {
        _output.Write(_out, 0, _outCount);
        _written += _outCount;
        _outCount = 0;
    }
}
