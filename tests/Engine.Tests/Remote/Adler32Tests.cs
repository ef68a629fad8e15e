using System.Buffers.Binary;
using System.IO.Compression;
using AgentSnapshots.Engine.Remote;

namespace AgentSnapshots.Tests.Engine.Remote;

/// <summary>
/// The receiver's Adler-32 (16 bytes at a time where the processor allows) against the trailer zlib itself writes,
/// for lengths around the vector width and the 5,552-byte run, the worst case for overflow (all 0xFF), and data
/// appended in uneven pieces.
/// </summary>
public sealed class Adler32Tests
{
    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(5551)]
    [InlineData(5552)]
    [InlineData(5553)]
    [InlineData(100_003)]
    [InlineData(1_048_576)]
    public void It_equals_zlibs_trailer(int length)
    {
        var random = new byte[length];
        new Random(length).NextBytes(random);
        var ones = Enumerable.Repeat((byte)0xFF, length).ToArray();
        foreach (var data in new[] { random, ones })
        {
            var whole = new Adler32();
            whole.Append(data);
            Assert.Equal(ZlibTrailer(data), whole.Value);

            var pieces = new Adler32();
            var at = 0;
            var step = new Random(7);
            while (at < data.Length)
            {
                var take = Math.Min(data.Length - at, step.Next(1, 9000));
                pieces.Append(data.AsSpan(at, take));
                at += take;
            }
            Assert.Equal(ZlibTrailer(data), pieces.Value);
        }
    }

    private static uint ZlibTrailer(byte[] data)
    {
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(data);
        }
        return BinaryPrimitives.ReadUInt32BigEndian(compressed.GetBuffer().AsSpan((int)compressed.Length - 4, 4));
    }
}
