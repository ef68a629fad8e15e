namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// Counts changed lines the way git's xdiff does with <c>--minimal</c>, on per-line hashes of the middles left after
/// the common first and last lines are trimmed (xdl_trim_ends). Before its minimal Myers diff, xdiff drops lines that
/// have no match in the other file and, among lines that have many matches (at least about the square root of the
/// file's line count, capped at 1024), those that sit in runs of unmatched lines (xdl_cleanup_records,
/// xdl_clean_mmatch); dropped lines count as changed. This class repeats those rules so the counts equal git's.
/// </summary>
internal static class XdiffCount
{
    private const int KeepRunFactor = 4;       // XDL_KPDIS_RUN
    private const int MaxEqualLimit = 1024;    // XDL_MAX_EQLIMIT
    private const int ScanWindow = 100;        // XDL_SIMSCAN_WINDOW

    /// <summary>Occurrence counts of one distinct middle line.</summary>
    internal struct KeyCounts
    {
        public int OldMiddle;
        public int NewMiddle;
        /// <summary>Occurrences in the common first and last lines (the same in both files).</summary>
        public int Common;
    }

    /// <summary>xdl_bogosqrt: git's rough square root.</summary>
    public static long BogoSqrt(long n)
    {
        long i = 1;
        for (; n > 0; n >>= 2) i <<= 1;
        return i;
    }

    public static long MultiMatchLimit(long fileLines) => Math.Min(BogoSqrt(fileLines), MaxEqualLimit);

    /// <summary>Counts of every distinct line of the two middles.</summary>
    public static Dictionary<ulong, KeyCounts> CountKeys(ReadOnlySpan<ulong> oldMiddle, ReadOnlySpan<ulong> newMiddle)
    {
        var keys = new Dictionary<ulong, KeyCounts>(oldMiddle.Length + newMiddle.Length);
        foreach (var h in oldMiddle)
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(keys, h, out _).OldMiddle++;
        }
        foreach (var h in newMiddle)
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(keys, h, out _).NewMiddle++;
        }
        return keys;
    }

    /// <summary>
    /// Whether occurrences in the common lines (<paramref name="commonLines"/> of them) could change which lines xdiff
    /// treats as multi-match; if not, they need not be counted.
    /// </summary>
    public static bool NeedsCommonCounts(Dictionary<ulong, KeyCounts> keys, long commonLines, long oldLines, long newLines)
    {
        if (commonLines == 0) return false;
        var mlimOld = MultiMatchLimit(oldLines);
        var mlimNew = MultiMatchLimit(newLines);
        foreach (var c in keys.Values)
        {
            if (c.OldMiddle > 0 && c.NewMiddle + commonLines >= mlimOld) return true;
            if (c.NewMiddle > 0 && c.OldMiddle + commonLines >= mlimNew) return true;
        }
        return false;
    }

    /// <summary>
    /// The length of the common subsequence xdiff finds between the middles (so deletions = old middle − it,
    /// additions = new middle − it), exact; or, when the work budget runs out first, the length of some common
    /// subsequence of the lines xdiff keeps (at most xdiff's, so the counts it gives are upper bounds), not exact.
    /// </summary>
    public static (long Common, bool Exact) CommonLines(
        ReadOnlySpan<ulong> oldMiddle, ReadOnlySpan<ulong> newMiddle, Dictionary<ulong, KeyCounts> keys,
        long oldLines, long newLines, long maxWork)
    {
        if (oldMiddle.IsEmpty || newMiddle.IsEmpty) return (0, true);
        var mlimOld = MultiMatchLimit(oldLines);
        var mlimNew = MultiMatchLimit(newLines);
        var disOld = new byte[oldMiddle.Length];
        var disNew = new byte[newMiddle.Length];
        for (var i = 0; i < oldMiddle.Length; i++)
        {
            var c = keys[oldMiddle[i]];
            long nm = c.NewMiddle + c.Common;
            disOld[i] = (byte)(nm == 0 ? 0 : nm >= mlimOld ? 2 : 1);
        }
        for (var i = 0; i < newMiddle.Length; i++)
        {
            var c = keys[newMiddle[i]];
            long nm = c.OldMiddle + c.Common;
            disNew[i] = (byte)(nm == 0 ? 0 : nm >= mlimNew ? 2 : 1);
        }
        var keptOld = Keep(oldMiddle, disOld);
        var keptNew = Keep(newMiddle, disNew);
        var d = MyersDistance(keptOld, keptNew, maxWork);
        if (d < 0) return (SomeCommonLines(keptOld, keptNew), false);
        return ((keptOld.Length + keptNew.Length - d) / 2, true);
    }

    /// <summary>
    /// A common subsequence's length in O(N log N): the common first and last lines, plus the longest increasing run
    /// of lines that occur once in each sequence (patience diff's anchors).
    /// </summary>
    public static long SomeCommonLines(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        var start = 0;
        while (start < a.Length && start < b.Length && a[start] == b[start]) start++;
        int endA = a.Length, endB = b.Length;
        while (endA > start && endB > start && a[endA - 1] == b[endB - 1])
        {
            endA--;
            endB--;
        }
        long common = start + (a.Length - endA);
        a = a[start..endA];
        b = b[start..endB];
        // Position in b of each line that occurs once in a and once in b (-1: more than once).
        var inB = new Dictionary<ulong, int>(b.Length);
        for (var j = 0; j < b.Length; j++)
        {
            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(inB, b[j], out var exists);
            slot = exists ? -1 : j;
        }
        var seenInA = new Dictionary<ulong, int>(a.Length);
        foreach (var h in a)
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(seenInA, h, out _)++;
        }
        // Longest increasing subsequence of those positions, in a's order (patience sorting).
        var tails = new List<int>();
        foreach (var h in a)
        {
            if (seenInA[h] != 1 || !inB.TryGetValue(h, out var j) || j < 0) continue;
            var at = tails.BinarySearch(j);
            if (at < 0) at = ~at;
            if (at == tails.Count) tails.Add(j);
            else tails[at] = j;
        }
        return common + tails.Count;
    }

    private static ulong[] Keep(ReadOnlySpan<ulong> lines, byte[] dis)
    {
        var kept = new List<ulong>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            if (dis[i] == 1 || (dis[i] == 2 && !CleanMultiMatch(dis, i, 0, lines.Length - 1)))
            {
                kept.Add(lines[i]);
            }
        }
        return [.. kept];
    }

    /// <summary>xdl_clean_mmatch: whether a multi-match line sits in a run of mostly unmatched lines (then it is dropped).</summary>
    private static bool CleanMultiMatch(byte[] dis, int i, int s, int e)
    {
        if (i - s > ScanWindow) s = i - ScanWindow;
        if (e - i > ScanWindow) e = i + ScanWindow;
        long rdis0 = 0, rpdis0 = 1;
        for (var r = 1; i - r >= s; r++)
        {
            if (dis[i - r] == 0) rdis0++;
            else if (dis[i - r] == 2) rpdis0++;
            else break;
        }
        if (rdis0 == 0) return false;
        long rdis1 = 0, rpdis1 = 1;
        for (var r = 1; i + r <= e; r++)
        {
            if (dis[i + r] == 0) rdis1++;
            else if (dis[i + r] == 2) rpdis1++;
            else break;
        }
        if (rdis1 == 0) return false;
        rdis1 += rdis0;
        rpdis1 += rpdis0;
        return rpdis1 * KeepRunFactor < rpdis1 + rdis1;
    }

    /// <summary>
    /// The minimal edit distance (insertions + deletions) by Myers' greedy O((N+M)·D) algorithm in O(N+M) memory,
    /// or -1 when more than <paramref name="maxWork"/> steps would be needed.
    /// </summary>
    public static long MyersDistance(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, long maxWork)
    {
        var n = a.Length;
        var m = b.Length;
        // Common ends cost nothing: trim them first.
        var start = 0;
        while (start < n && start < m && a[start] == b[start]) start++;
        var endA = n;
        var endB = m;
        while (endA > start && endB > start && a[endA - 1] == b[endB - 1])
        {
            endA--;
            endB--;
        }
        a = a[start..endA];
        b = b[start..endB];
        n = a.Length;
        m = b.Length;
        if (n == 0 || m == 0) return n + m;
        var max = n + m;
        var offset = max + 1;
        var v = new int[2 * max + 3];
        long work = 0;
        for (var d = 0; d <= max; d++)
        {
            for (var k = -d; k <= d; k += 2)
            {
                int x;
                if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                {
                    x = v[offset + k + 1];
                }
                else
                {
                    x = v[offset + k - 1] + 1;
                }
                var y = x - k;
                var x0 = x;
                while (x < n && y < m && a[x] == b[y])
                {
                    x++;
                    y++;
                }
                work += x - x0;
                v[offset + k] = x;
                if (x >= n && y >= m) return d;
            }
            work += d + 1;
            if (work > maxWork) return -1;
        }
        return max;
    }
}
