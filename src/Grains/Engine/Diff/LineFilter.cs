using System.Numerics;

namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// A register-blocked Bloom filter over 64-bit line hashes: every key sets a few bits of one 64-bit word, so an insert
/// or a lookup touches one cache line. No false negatives: a miss proves the line is absent.
/// </summary>
internal sealed class LineFilter
{
    private readonly ulong[] _words;
    private readonly int _shift;
    private readonly int _bitsPerKey;

    private LineFilter(int wordCountLog2, int bitsPerKey)
    {
        _words = new ulong[1 << wordCountLog2];
        _shift = 64 - wordCountLog2;
        _bitsPerKey = bitsPerKey;
    }

    public long Bytes => _words.LongLength * sizeof(ulong);

    /// <summary>A filter sized for about <paramref name="expectedKeys"/> keys (16 bits a key) within <paramref name="maxBytes"/>.</summary>
    public static LineFilter Create(long expectedKeys, long maxBytes)
    {
        var wantBits = Math.Max(expectedKeys, 1) * 16;
        var maxWords = Math.Max(maxBytes / sizeof(ulong), 64);
        var words = Math.Clamp(wantBits / 64, 64, maxWords);
        var log2 = BitOperations.Log2((ulong)words);
        if ((1L << log2) < words && (1L << (log2 + 1)) <= maxWords) log2++;
        log2 = Math.Min(log2, 30);
        var bitsPerKeyAvailable = (double)(1L << log2) * 64 / Math.Max(expectedKeys, 1);
        var k = (int)Math.Clamp(Math.Round(bitsPerKeyAvailable / 2), 2, 8);
        return new LineFilter(log2, k);
    }

    public void Add(ulong hash)
    {
        _words[(int)(hash >> _shift)] |= Mask(hash);
    }

    public bool MayContain(ulong hash)
    {
        var mask = Mask(hash);
        return (_words[(int)(hash >> _shift)] & mask) == mask;
    }

    private ulong Mask(ulong hash)
    {
        // Bit positions come from a remix of the hash, independent of the word index (its top bits).
        var h = hash * 0x9E3779B97F4A7C15UL;
        h ^= h >> 29;
        ulong mask = 0;
        for (var i = 0; i < _bitsPerKey; i++)
        {
            mask |= 1UL << (int)(h & 63);
            h >>= 6;
        }
        return mask;
    }
}
