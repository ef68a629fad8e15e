using System.Buffers;
using System.Numerics;

namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// A register-blocked Bloom filter over 64-bit line hashes: every key sets 4 bits of one 64-bit word, so an insert
/// or a lookup touches one cache line. No false negatives: a miss proves the line is absent. Its words are rented
/// from <see cref="ArrayPool{T}.Shared"/> (see <see cref="HashBuffer"/> for why) and returned on <see cref="Dispose"/>.
/// </summary>
internal sealed class LineFilter : IDisposable
{
    private ulong[] _words;
    private readonly int _shift;

    private LineFilter(int wordCountLog2)
    {
        _words = ArrayPool<ulong>.Shared.Rent(1 << wordCountLog2);
        Array.Clear(_words, 0, 1 << wordCountLog2);
        _shift = 64 - wordCountLog2;
    }

    public long Bytes => (1L << (64 - _shift)) * sizeof(ulong);

    /// <summary>
    /// A filter sized for about <paramref name="expectedKeys"/> keys within <paramref name="maxBytes"/>: 8 to 16 bits a
    /// key (a power of two of words), so about 0.3 to 3% false hits. Small enough that lookups run at cache speed (a
    /// filter of a 2-million-line file takes 2 MiB; lookups are batched by region), and large enough that the hits,
    /// which are kept (8 bytes each) and sorted, stay few: at 4 to 8 bits a key, 3 to 16% of a rewritten file's lines
    /// were false hits, and those lists took more memory than the filter saved (a 2-million-line rewrite: 1 MiB of
    /// filter beside 4 MiB of hits a side).
    /// </summary>
    public static LineFilter Create(long expectedKeys, long maxBytes)
    {
        var wantBits = Math.Max(expectedKeys, 1) * 8;
        var maxWords = Math.Max(maxBytes / sizeof(ulong), 64);
        var words = Math.Clamp(wantBits / 64, 64, maxWords);
        var log2 = BitOperations.Log2((ulong)words);
        if ((1L << log2) < words && (1L << (log2 + 1)) <= maxWords) log2++;
        log2 = Math.Min(log2, 30);
        return new LineFilter(log2);
    }

    public void Add(ulong hash)
    {
        _words[(int)(hash >> _shift)] |= Mask(hash);
    }

    /// <summary>Adds a batch: the loads of independent keys overlap, which hides most cache misses.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddMany(ReadOnlySpan<ulong> hashes)
    {
        var words = _words;
        foreach (var hash in hashes)
        {
            words[(int)(hash >> _shift)] |= Mask(hash);
        }
    }

    /// <summary>Appends the keys of <paramref name="hashes"/> that may be in the filter to <paramref name="hits"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void FindMany(ReadOnlySpan<ulong> hashes, HashBuffer hits)
    {
        var words = _words;
        foreach (var hash in hashes)
        {
            var mask = Mask(hash);
            if ((words[(int)(hash >> _shift)] & mask) == mask) hits.Add(hash);
        }
    }

    public void Dispose()
    {
        var words = _words;
        _words = [];
        if (words.Length > 0) ArrayPool<ulong>.Shared.Return(words);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(ulong hash)
    {
        // Four bit positions from a remix of the hash, independent of the word index (its top bits).
        var h = hash * 0x9E3779B97F4A7C15UL;
        return (1UL << (int)(h >> 40)) | (1UL << (int)(h >> 46)) | (1UL << (int)(h >> 52)) | (1UL << (int)(h >> 58));
    }
}

/// <summary>
/// Buffers keys by the filter region they fall in (64 regions) and applies a region's keys together, so the filter's
/// words are touched region by region (a region stays in cache) instead of at random: adds and lookups on a filter
/// larger than the cache run several times faster.
/// </summary>
internal sealed class FilterBatch(LineFilter filter)
{
    private const int Regions = 64;
    private const int Slots = 128;
    private readonly ulong[] _keys = new ulong[Regions * Slots];
    private readonly int[] _count = new int[Regions];

    public LineFilter Filter => filter;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Add(ulong hash)
    {
        var region = (int)(hash >> 58);
        var n = _count[region]++;
        _keys[(region * Slots) + n] = hash;
        if (n + 1 == Slots)
        {
            filter.AddMany(_keys.AsSpan(region * Slots, Slots));
            _count[region] = 0;
        }
    }

    /// <summary>Looks a key up; hits are appended to <paramref name="hits"/> when its region is applied (see <see cref="FlushFind"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Find(ulong hash, HashBuffer hits)
    {
        var region = (int)(hash >> 58);
        var n = _count[region]++;
        _keys[(region * Slots) + n] = hash;
        if (n + 1 == Slots)
        {
            filter.FindMany(_keys.AsSpan(region * Slots, Slots), hits);
            _count[region] = 0;
        }
    }

    public void FlushAdd()
    {
        for (var r = 0; r < Regions; r++)
        {
            filter.AddMany(_keys.AsSpan(r * Slots, _count[r]));
            _count[r] = 0;
        }
    }

    public void FlushFind(HashBuffer hits)
    {
        for (var r = 0; r < Regions; r++)
        {
            filter.FindMany(_keys.AsSpan(r * Slots, _count[r]), hits);
            _count[r] = 0;
        }
    }
}
