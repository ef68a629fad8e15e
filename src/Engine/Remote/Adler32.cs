using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// zlib's checksum of the inflated bytes, which its stream ends with (big-endian). A received object's stream must
/// end with it: .NET's inflater checks a trailer it reads, but says nothing when the trailer is missing or bytes
/// follow it, so the receiver compares the last four bytes with this. 16 bytes at a time where SSSE3 is there (as
/// zlib does: a sum of absolute differences for the plain sum, a multiply-add for the weighted one), so the pass
/// costs a small part of the inflate and SHA-1 it runs beside.
/// </summary>
internal sealed class Adler32
{
    private const uint Modulus = 65521;

    /// <summary>The most bytes whose sums cannot overflow 32 bits before the modulus (zlib's NMAX); a multiple of 16.</summary>
    private const int MaxRun = 5552;

    private uint _a = 1;
    private uint _b;

    public uint Value => (_b << 16) | _a;

    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var run = data[..Math.Min(MaxRun, data.Length)];
            var vectored = Ssse3.IsSupported ? run.Length & ~15 : 0;
            if (vectored > 0) AppendVectors(run[..vectored]);
            foreach (var x in run[vectored..])
            {
                _a += x;
                _b += _a;
            }
            _a %= Modulus;
            _b %= Modulus;
            data = data[run.Length..];
        }
    }

    /// <summary>
    /// A run of 16-byte blocks (at most <see cref="MaxRun"/> bytes): over n bytes x_i, a grows by the sum of x_i and b
    /// by n·a + the sum of (n − i)·x_i, which is 16 × (the sum, over the blocks, of the bytes before each block)
    /// plus the sum of (16 − j)·x_j within each block. Unsigned sums wrap, but their true total fits 32 bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AppendVectors(ReadOnlySpan<byte> run)
    {
        var weights = Vector128.Create((sbyte)16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        var ones = Vector128.Create((short)1);
        var sum = Vector128<uint>.Zero;
        var before = Vector128<uint>.Zero;
        var weighted = Vector128<uint>.Zero;
        ref var start = ref MemoryMarshal.GetReference(run);
        for (var at = 0; at < run.Length; at += 16)
        {
            var block = Vector128.LoadUnsafe(ref start, (nuint)at);
            before += sum;
            sum += Sse2.SumAbsoluteDifferences(block, Vector128<byte>.Zero).AsUInt32();
            weighted += Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(block, weights), ones).AsUInt32();
        }
        _b += (uint)run.Length * _a + 16 * Vector128.Sum(before) + Vector128.Sum(weighted);
        _a += Vector128.Sum(sum);
    }
}
