using System.Text;
using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Tests.Engine.Packs;

/// <summary>The bounded-memory delta encoder against the streaming applier: every edit script round-trips, and the deltas are small where versions are alike.</summary>
public sealed class DeltaEncoderTests
{
    private static byte[] Text(int seed, int lines)
    {
        var random = new Random(seed);
        var sb = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            sb.Append("line ").Append(i).Append(' ').Append(random.Next(1_000_000)).Append(" lorem ipsum dolor sit amet\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Encodes <paramref name="target"/> against <paramref name="baseBytes"/>, applies the delta back, and returns the delta's length.</summary>
    private static long RoundTrip(byte[] baseBytes, byte[] target, long? budget = null)
    {
        var delta = new MemoryStream();
        var encoder = new DeltaEncoder();
        Assert.True(encoder.TryEncode(new MemoryStream(baseBytes), baseBytes.Length, new MemoryStream(target), target.Length, delta, budget ?? long.MaxValue, out var length));
        Assert.Equal(delta.Length, length);
        delta.Position = 0;
        Assert.Equal(baseBytes.Length, DeltaFormat.ReadSize(delta));
        Assert.Equal(target.Length, DeltaFormat.ReadSize(delta));
        var spills = DeltaBase.Spills;
        using var applied = new DeltaStream(delta, new DeltaBase(new MemoryStream(baseBytes), baseBytes.Length, () => new MemoryStream(baseBytes), Path.GetTempPath()), target.Length);
        var result = new MemoryStream();
        applied.CopyTo(result);
        Assert.Equal(target, result.ToArray());
        // Our deltas never step back further than the applier keeps: read in one pass over the base.
        Assert.Equal(spills, DeltaBase.Spills);
        return length;
    }

    [Fact]
    public void Random_edit_scripts_round_trip_exactly()
    {
        var random = new Random(42);
        for (var round = 0; round < 40; round++)
        {
            var baseBytes = Text(round, random.Next(0, 20_000));
            var target = new List<byte>(baseBytes);
            for (var edit = random.Next(0, 30); edit > 0 && target.Count > 0; edit--)
            {
                var at = random.Next(target.Count);
                var n = Math.Min(random.Next(1, 5_000), target.Count - at);
                switch (random.Next(4))
                {
                    case 0: target.RemoveRange(at, n); break;
                    case 1: target.InsertRange(at, Text(round * 100 + edit, random.Next(1, 40))); break;
                    case 2: for (var i = at; i < at + n; i += random.Next(1, 200)) target[i] = (byte)random.Next(32, 127); break;
                    default:
                        // Move a run elsewhere (a copy that goes back).
                        var run = target.GetRange(at, n);
                        target.RemoveRange(at, n);
                        target.InsertRange(random.Next(target.Count + 1), run);
                        break;
                }
            }
            RoundTrip(baseBytes, [.. target]);
        }
        RoundTrip([], Text(1, 100));
        RoundTrip(Text(1, 100), []);
        RoundTrip([], []);
    }

    [Fact]
    public void Versions_of_a_file_make_small_deltas_whatever_their_size()
    {
        // An appended log: the delta is the new lines and a few copies, not the file.
        var log = Text(7, 200_000);
        var grown = log.Concat(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 1000).Select(i => $"appended line {i}\n")))).ToArray();
        Assert.InRange(RoundTrip(log, grown), 1, 30_000);

        // Every line edited in place (the seed scenario's "turn N" in each line): the diagonal catches each line's rest.
        var turn1 = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100_000).Select(i => $"cfg turn 1 line {i:D9} lorem ipsum dolor sit amet consectetur\n")));
        var turn2 = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100_000).Select(i => $"cfg turn 2 line {i:D9} lorem ipsum dolor sit amet consectetur\n")));
        Assert.InRange(RoundTrip(turn1, turn2), 1, turn2.Length / 6);

        // The same with every line one byte longer ("turn 9" to "turn 10"): the diagonal moves a byte per line.
        var turn10 = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100_000).Select(i => $"cfg turn 10 line {i:D9} lorem ipsum dolor sit amet consectetur\n")));
        Assert.InRange(RoundTrip(turn1, turn10), 1, turn10.Length / 5);

        // A block deleted from the middle, larger than the window's reach behind: found ahead.
        var cut = log.Take(log.Length / 3).Concat(log.Skip(log.Length / 3 + (2 << 20))).ToArray();
        Assert.InRange(RoundTrip(log, cut), 1, 10_000);
    }

    [Fact]
    public void Unrelated_content_stops_at_the_budget()
    {
        var a = Text(1, 50_000);
        var b = new byte[a.Length];
        new Random(3).NextBytes(b);
        var encoder = new DeltaEncoder();
        Assert.False(encoder.TryEncode(new MemoryStream(a), a.Length, new MemoryStream(b), b.Length, Stream.Null, b.Length / 2, out var written));
        Assert.True(written <= b.Length / 2 + 64 * 1024);
    }
}
