using AgentSnapshots.Engine.Diff;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AgentSnapshots.Engine;

namespace AgentSnapshots.Tests.Engine.Diff;

[CollectionDefinition(nameof(DiffMemoryGroup), DisableParallelization = true)]
public sealed class DiffMemoryGroup;

/// <summary>
/// Summaries of ~300 MiB files keep memory small: the managed bytes allocated while the summary runs, on every thread
/// (<see cref="GC.GetTotalAllocatedBytes"/>, so work handed to other threads counts too), and the process's peak
/// resident set (VmHWM, reset before the summary through /proc/self/clear_refs) stay far below the file size.
/// Both are process-wide, so the test runs alone: its collection disables parallelization, and xUnit runs such
/// collections after all others, one test at a time (what else remains, idle fixtures' timers, allocates little).
/// </summary>
[Collection(nameof(DiffMemoryGroup))]
public sealed class DiffMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const long FileBytes = 300L * 1024 * 1024;
    private const long MaxGrowthBytes = 100L * 1024 * 1024;
    private readonly DiffFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public void Summaries_of_300_MiB_files_stay_in_bounded_memory()
    {
        var lines = FileBytes / GeneratedLines.LineBytes;
        var turn1 = _fx.Store.WriteBlob(new GeneratedLines(1, lines, -1), lines * GeneratedLines.LineBytes);
        var turn2 = _fx.Store.WriteBlob(new GeneratedLines(2, lines, -1), lines * GeneratedLines.LineBytes);
        var edited = _fx.Store.WriteBlob(new GeneratedLines(1, lines, lines / 2), lines * GeneratedLines.LineBytes);
        var from = _fx.Store.WriteTree([new TreeEntry("big.log", EntryMode.RegularFile, turn1)]);
        var rewritten = _fx.Store.WriteTree([new TreeEntry("big.log", EntryMode.RegularFile, turn2)]);
        var oneLine = _fx.Store.WriteTree([new TreeEntry("big.log", EntryMode.RegularFile, edited)]);

        var all = Measure("every line changed", from, rewritten);
        Assert.Equal((lines, lines, true), (all.Additions, all.Deletions, all.Exact));
        Assert.True(all.Truncated);
        Assert.StartsWith($"@@ -1,{lines} +1,{lines} @@\n-cfg turn 1 line 000000000 ", all.Patch, StringComparison.Ordinal);

        var one = Measure("one line changed", from, oneLine);
        Assert.Equal((1L, 1L, true, false), (one.Additions, one.Deletions, one.Exact, one.Truncated));
        var at = lines / 2;
        Assert.StartsWith($"@@ -{at - 2},7 +{at - 2},7 @@ cfg turn 1 line {at - 4:D9}", one.Patch, StringComparison.Ordinal);
        Assert.Contains($"\n+cfg turn 1 line {at:D9} EDITED ipsum dolor sit amet consectetur\n", one.Patch, StringComparison.Ordinal);
    }

    /// <summary>
    /// The seed scenario's shape (every line of a big file rewritten, and the same pair diffed twice: a step's stats,
    /// then the agent's own diff) in managed bytes allocated. A big diff's arrays are large objects, which stay
    /// resident until a full collection, so what one diff leaves the next one stacks on. When the filter hits grew as
    /// plain lists under a 4-bits-a-key filter and nothing was pooled, these diffs allocated 14.7 and 14.5 MiB (the
    /// seed's 224 MiB: 36.9 MiB each, and its summary peaked at +66 MiB over idle, the step's garbage plus its own);
    /// now 7.7 and 1.5 to 2.2 MiB. The bounds sit between the two.
    /// </summary>
    [Fact]
    public void A_rewrite_diffed_twice_allocates_little_and_the_second_time_less()
    {
        const long lines = 1_000_000;
        var turn1 = _fx.Store.WriteBlob(new GeneratedLines(1, lines, -1), lines * GeneratedLines.LineBytes);
        var turn2 = _fx.Store.WriteBlob(new GeneratedLines(2, lines, -1), lines * GeneratedLines.LineBytes);
        var from = _fx.Store.WriteTree([new TreeEntry("build.ninja", EntryMode.RegularFile, turn1)]);
        var to = _fx.Store.WriteTree([new TreeEntry("build.ninja", EntryMode.RegularFile, turn2)]);

        var first = Allocated("first diff", from, to);
        var second = Allocated("second diff", from, to);
        Assert.True(first.Bytes < 11 * 1048576L, $"first diff allocated {first.Bytes} bytes");
        Assert.True(second.Bytes < 5 * 1048576L, $"second diff allocated {second.Bytes} bytes: the first one's arrays were not reused");
        foreach (var file in new[] { first.File, second.File })
        {
            Assert.Equal((lines, lines, true), (file.Additions, file.Deletions, file.Exact));
        }
    }

    private (FileDiffSummary File, long Bytes) Allocated(string label, GitObjectId from, GitObjectId to)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var summary = _fx.Summarize(from, to);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: managed allocations {allocated / 1048576.0:F1} MiB"));
        return (Assert.Single(summary.Files), allocated);
    }

    private FileDiffSummary Measure(string label, GitObjectId from, GitObjectId to)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var resetPeak = TryResetPeak();
        var rssBefore = StatusBytes("VmRSS");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var summary = _fx.Summarize(from, to);
        watch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var peak = StatusBytes("VmHWM");
        var growth = peak - rssBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {watch.Elapsed.TotalSeconds:F2} s, managed allocations {allocated / 1048576.0:F1} MiB, RSS before {rssBefore / 1048576.0:F0} MiB, peak {peak / 1048576.0:F0} MiB (peak reset: {resetPeak})"));
        Assert.True(allocated < MaxGrowthBytes, $"{label}: allocated {allocated} bytes");
        if (resetPeak)
        {
            Assert.True(growth < MaxGrowthBytes, $"{label}: peak RSS grew by {growth} bytes");
        }
        return Assert.Single(summary.Files);
    }

    private static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long StatusBytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException($"{field} not in /proc/self/status");
    }

    /// <summary>Seed-like generated text, produced while read: fixed-width lines carrying a turn number.</summary>
    private sealed class GeneratedLines(int turn, long lines, long editedLine) : Stream
    {
        public const int LineBytes = 66;
        private readonly byte[] _line = new byte[LineBytes];
        private long _next;
        private int _offset = LineBytes;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var written = 0;
            while (written < count)
            {
                if (_offset == LineBytes)
                {
                    if (_next == lines) break;
                    var word = _next == editedLine ? "EDITED" : "lorem!";
                    var text = string.Create(CultureInfo.InvariantCulture, $"cfg turn {turn} line {_next:D9} {word} ipsum dolor sit amet consectetur\n");
                    Encoding.ASCII.GetBytes(text, _line);
                    _next++;
                    _offset = 0;
                }
                var n = Math.Min(count - written, LineBytes - _offset);
                Buffer.BlockCopy(_line, _offset, buffer, offset + written, n);
                _offset += n;
                written += n;
            }
            return written;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => lines * LineBytes;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
