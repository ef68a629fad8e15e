using AgentSnapshots.Engine.Diff;

namespace AgentSnapshots.Tests.Engine.Diff;

public sealed class XdiffCountTests
{
    private static int Lcs(ulong[] a, ulong[] b)
    {
        var t = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                t[i, j] = a[i] == b[j] ? t[i + 1, j + 1] + 1 : Math.Max(t[i + 1, j], t[i, j + 1]);
            }
        }
        return t[0, 0];
    }

    [Fact]
    public void Myers_distance_is_minimal_and_patience_is_a_lower_bound()
    {
        var random = new Random(3);
        for (var round = 0; round < 2000; round++)
        {
            var alphabet = random.Next(1, 8);
            var a = Enumerable.Range(0, random.Next(0, 40)).Select(_ => (ulong)random.Next(alphabet)).ToArray();
            var b = Enumerable.Range(0, random.Next(0, 40)).Select(_ => (ulong)random.Next(alphabet)).ToArray();
            var lcs = Lcs(a, b);
            Assert.Equal(a.Length + b.Length - (2 * lcs), XdiffCount.MyersDistance(a, b, long.MaxValue));
            Assert.InRange(XdiffCount.SomeCommonLines(a, b), 0, lcs);
        }
    }

    [Fact]
    public void Myers_gives_up_past_its_work_budget()
    {
        var a = Enumerable.Range(0, 1000).Select(i => (ulong)i).ToArray();
        var b = Enumerable.Range(0, 1000).Select(i => (ulong)(i % 2 == 0 ? i : i + 5000)).ToArray();
        Assert.Equal(-1, XdiffCount.MyersDistance(a, b, 1000));
        Assert.Equal(1000, XdiffCount.MyersDistance(a, b, long.MaxValue));
    }

    [Fact]
    public void Bogosqrt_is_gits()
    {
        Assert.Equal(1, XdiffCount.BogoSqrt(0));
        Assert.Equal(2, XdiffCount.BogoSqrt(1));
        Assert.Equal(16, XdiffCount.BogoSqrt(200));
        Assert.Equal(1024, XdiffCount.MultiMatchLimit(100_000_000));
    }
}
