using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.Diff;

/// <summary>The line statistics and preview of one file pair.</summary>
internal sealed record TextDiffResult(long Additions, long Deletions, bool Exact, bool Binary, string Patch, bool Truncated);

/// <summary>
/// Diffs two blobs in bounded memory, streaming them in chunks (lines are compared by 64-bit hash and length).
/// Pass 1 reads both sides in lockstep over their common first lines, then each side's remaining lines ("tail"; the two
/// tails on two threads for large files): it counts them, keeps the hashes of the first
/// <see cref="SummaryOptions.ExactDiffMaxLines"/> and of the last 64 lines of each tail, a line filter of longer tails,
/// and the first lines' text for the preview. The common last lines come from the kept hashes when they tell;
/// otherwise pass 2 streams both sides again pairing the tails' ends line by line. Middles (what lies between the
/// common first and last lines) that fit the budget get git's exact count (<see cref="XdiffCount"/>). Larger middles
/// are exact when no line is common to both: each middle line is looked up in the other side's filter (pass 2) and
/// the few hits of both sides are compared exactly; otherwise upper bounds are reported.
/// </summary>
internal sealed class TextDiffer(SummaryOptions options)
{
    /// <summary>git's buffer_is_binary looks for a NUL byte in this many first bytes.</summary>
    public const int BinaryProbeBytes = 8000;

    private const int ContextLines = 3;

    /// <summary>Files at least this large on both sides are read on two threads.</summary>
    private const long ParallelMinBytes = 4L * 1024 * 1024;

    private int HeadBytes => Math.Max(options.MaxPreviewLineBytes, 80) + 1;

    private int WindowLines => Math.Clamp(options.MaxPatchBytesPerFile / 16, 64, 1024);

    /// <summary>Diffs <paramref name="openOld"/> against <paramref name="openNew"/> (each opened once per pass).</summary>
    public TextDiffResult Diff(
        Func<Stream> openOld, long oldSize, Func<Stream> openNew, long newSize, bool sameContent, bool withPreview,
        CancellationToken cancellationToken)
    {
        if (oldSize > options.BinaryThresholdBytes || newSize > options.BinaryThresholdBytes)
        {
            return new TextDiffResult(0, 0, true, true, "", false);
        }
        using var ra = new LineReader(openOld(), HeadBytes, cancellationToken);
        using var rb = new LineReader(openNew(), HeadBytes, cancellationToken);
        if (ra.PeekStart(BinaryProbeBytes).Contains((byte)0) || rb.PeekStart(BinaryProbeBytes).Contains((byte)0))
        {
            return new TextDiffResult(0, 0, true, true, "", false);
        }
        if (sameContent)
        {
            return new TextDiffResult(0, 0, true, false, "", false);
        }

        // Pass 1: the common first lines, in lockstep.
        var context = new PrefixContext(withPreview ? ContextLines : 0, HeadBytes);
        long prefix = 0;
        bool hasA, hasB;
        while (true)
        {
            hasA = ra.Next();
            hasB = rb.Next();
            if (hasA && hasB && ra.Hash == rb.Hash && ra.Length == rb.Length)
            {
                prefix++;
                if (withPreview) context.Push(ra.Head, ra.Length);
                continue;
            }
            break;
        }
        if (!hasA && !hasB)
        {
            return new TextDiffResult(0, 0, true, false, "", false);
        }

        // Pass 1, continued: each side's tail.
        var window = withPreview ? WindowLines : 0;
        using var ta = new Tail(options, oldSize, ra.Consumed - (hasA ? ra.Length : 0), window);
        using var tb = new Tail(options, newSize, rb.Consumed - (hasB ? rb.Length : 0), window);
        if (hasA && hasB && Math.Min(oldSize, newSize) >= ParallelMinBytes && Environment.ProcessorCount > 1)
        {
            // The two tails are independent: read them on two threads.
            RunBoth(() => ReadTail(ta, ra), () => ReadTail(tb, rb));
        }
        else
        {
            if (hasA) ReadTail(ta, ra);
            if (hasB) ReadTail(tb, rb);
        }
        ra.Dispose();
        rb.Dispose();

        long t1 = ta.Count, t2 = tb.Count;
        long n1 = prefix + t1, n2 = prefix + t2;
        var minTail = Math.Min(t1, t2);
        long suffix;
        long common;   // the common subsequence of the middles (valid when exact)
        bool exact;
        var maxLines = options.ExactDiffMaxLines;
        if (minTail == 0)
        {
            suffix = 0;
            common = 0;
            exact = true;
        }
        else if (!ta.Overflow && !tb.Overflow)
        {
            suffix = CommonSuffix(ta.Hashes, tb.Hashes, minTail);
            (exact, common) = FromMemory(ta, tb, t1 - suffix, t2 - suffix, prefix, suffix, n1, n2, openOld, cancellationToken);
        }
        else
        {
            var known = Tail.SuffixFromEnds(ta, tb, minTail);
            bool disjoint;
            if (known >= 0)
            {
                suffix = known;
                // The middles are in memory when they fit: no second pass then.
                disjoint = !Fits(t1 - suffix, t2 - suffix, maxLines) && Pass2Known(openOld, openNew, prefix, suffix, ta, tb, cancellationToken);
            }
            else
            {
                disjoint = Pass2(openOld, openNew, prefix, ta, tb, out suffix, cancellationToken);
            }
            long mid1 = t1 - suffix, mid2 = t2 - suffix;
            if (mid1 == 0 || mid2 == 0 || disjoint)
            {
                exact = true;
                common = 0;
            }
            else if (Fits(mid1, mid2, maxLines))
            {
                (exact, common) = FromMemory(ta, tb, mid1, mid2, prefix, suffix, n1, n2, openOld, cancellationToken);
            }
            else
            {
                exact = false;
                common = 0;
            }
        }
        var deletions = t1 - suffix - common;
        var additions = t2 - suffix - common;
        if (!withPreview)
        {
            return new TextDiffResult(additions, deletions, exact, false, "", false);
        }
        var preview = new PatchPreview(options, context, ta.Window, tb.Window, prefix, t1 - suffix, t2 - suffix, suffix,
            allChanged: exact && common == 0);
        var (patch, truncated) = preview.Render(additions, deletions, exact);
        return new TextDiffResult(additions, deletions, exact, false, patch, truncated);
    }

    /// <summary>
    /// Runs <paramref name="second"/> on the thread pool and <paramref name="first"/> here; returns when both are done
    /// (never leaving the other running on a shared reader), rethrowing the first failure.
    /// </summary>
    private static void RunBoth(Action first, Action second)
    {
        var task = Task.Run(second, CancellationToken.None);
        try
        {
            first();
        }
        finally
        {
            ((IAsyncResult)task).AsyncWaitHandle.WaitOne();
        }
        task.GetAwaiter().GetResult();
    }

    private static bool Fits(long mid1, long mid2, int maxLines) => mid1 <= maxLines && mid2 <= maxLines;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ReadTail(Tail tail, LineReader reader)
    {
        do tail.Add(reader);
        while (reader.Next());
    }

    private static long CommonSuffix(HashBuffer a, HashBuffer b, long limit)
    {
        long s = 0;
        int i = a.Count - 1, j = b.Count - 1;
        while (s < limit && a[i] == b[j])
        {
            s++;
            i--;
            j--;
        }
        return s;
    }

    /// <summary>Exact counts from the middles' hashes held in memory; upper bounds (not exact) when the work budget runs out.</summary>
    private (bool Exact, long Common) FromMemory(
        Tail ta, Tail tb, long mid1, long mid2, long prefix, long suffix, long n1, long n2,
        Func<Stream> openOld, CancellationToken cancellationToken)
    {
        if (mid1 == 0 || mid2 == 0) return (true, 0);
        ReadOnlySpan<ulong> oldMiddle = ta.Hashes.Span[..(int)mid1];
        ReadOnlySpan<ulong> newMiddle = tb.Hashes.Span[..(int)mid2];
        var keys = XdiffCount.CountKeys(oldMiddle, newMiddle);
        var shared = false;
        foreach (var c in keys.Values)
        {
            if (c.OldMiddle > 0 && c.NewMiddle > 0)
            {
                shared = true;
                break;
            }
        }
        if (!shared) return (true, 0);
        if (XdiffCount.NeedsCommonCounts(keys, prefix + suffix, n1, n2))
        {
            CountCommon(openOld, keys, prefix, n1 - suffix, n1, cancellationToken);
        }
        var (common, exact) = XdiffCount.CommonLines(oldMiddle, newMiddle, keys, n1, n2, options.ExactDiffMaxWork);
        return (exact, common);
    }

    /// <summary>Counts the middle lines' occurrences among the common lines: lines [0, prefix) and [suffixStart, lines) of the old side.</summary>
    private static void CountCommon(Func<Stream> openOld, Dictionary<ulong, XdiffCount.KeyCounts> keys, long prefix, long suffixStart, long lines, CancellationToken cancellationToken)
    {
        using var reader = new LineReader(openOld(), 1, cancellationToken);
        for (long i = 0; i < prefix && reader.Next(); i++)
        {
            Count(keys, reader.Hash);
        }
        reader.Skip(suffixStart - prefix);
        for (var i = suffixStart; i < lines && reader.Next(); i++)
        {
            Count(keys, reader.Hash);
        }

        static void Count(Dictionary<ulong, XdiffCount.KeyCounts> keys, ulong hash)
        {
            ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(keys, hash);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref c)) c.Common++;
        }
    }

    /// <summary>
    /// Pass 2 when the common last lines are known: each side's middle lines are looked up in the other side's filter
    /// (the two sides on two threads); returns whether the middles are proven to share no line.
    /// </summary>
    private bool Pass2Known(Func<Stream> openOld, Func<Stream> openNew, long prefix, long suffix, Tail ta, Tail tb, CancellationToken cancellationToken)
    {
        var filterA = ta.EnsureFilter();
        var filterB = tb.EnsureFilter();
        var maxCandidates = options.ExactDiffMaxCandidates;
        var parallel = Math.Min(ta.Count, tb.Count) * 64 >= ParallelMinBytes && Environment.ProcessorCount > 1;
        HashBuffer? candidatesA = null, candidatesB = null;
        void SideA() => candidatesA = Candidates(openOld, prefix, ta.Count - suffix, filterB, maxCandidates, cancellationToken);
        void SideB() => candidatesB = Candidates(openNew, prefix, tb.Count - suffix, filterA, maxCandidates, cancellationToken);
        try
        {
            if (parallel)
            {
                RunBoth(SideA, SideB);
            }
            else
            {
                SideA();
                SideB();
            }
            return candidatesA is not null && candidatesB is not null && SortedDisjoint(candidatesA, candidatesB);
        }
        finally
        {
            candidatesA?.Dispose();
            candidatesB?.Dispose();
        }
    }

    /// <summary>The hashes of lines [prefix, prefix + count) that the other side's filter may hold; null past the cap.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static HashBuffer? Candidates(Func<Stream> open, long prefix, long count, LineFilter other, int maxCandidates, CancellationToken cancellationToken)
    {
        using var reader = new LineReader(open(), 1, cancellationToken);
        reader.Skip(prefix);
        var candidates = new HashBuffer();
        var handedOver = false;
        try
        {
            var batch = new FilterBatch(other);
            for (var i = 0L; i < count && reader.Next(); i++)
            {
                batch.Find(reader.Hash, candidates);
                if (candidates.Count > maxCandidates) return null;
            }
            batch.FlushFind(candidates);
            if (candidates.Count > maxCandidates) return null;
            handedOver = true;
            return candidates;
        }
        finally
        {
            if (!handedOver) candidates.Dispose();
        }
    }

    private static bool SortedDisjoint(HashBuffer a, HashBuffer b)
    {
        a.Sort();
        b.Sort();
        int x = 0, y = 0;
        while (x < a.Count && y < b.Count)
        {
            var c = a[x].CompareTo(b[y]);
            if (c == 0) return false;
            if (c < 0) x++;
            else y++;
        }
        return true;
    }

    /// <summary>
    /// Pass 2: finds the common last lines (<paramref name="suffix"/>) by pairing the tails' ends line by line, and
    /// returns whether the middles are proven to share no line.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool Pass2(Func<Stream> openOld, Func<Stream> openNew, long prefix, Tail ta, Tail tb, out long suffix, CancellationToken cancellationToken)
    {
        var filterA = ta.EnsureFilter();
        var filterB = tb.EnsureFilter();
        using var ra = new LineReader(openOld(), 1, cancellationToken);
        using var rb = new LineReader(openNew(), 1, cancellationToken);
        ra.Skip(prefix);
        rb.Skip(prefix);
        long t1 = ta.Count, t2 = tb.Count;
        var minTail = Math.Min(t1, t2);
        using var candidatesA = new HashBuffer();
        using var candidatesB = new HashBuffer();
        var maxCandidates = options.ExactDiffMaxCandidates;
        var proofOpen = true;
        var findA = new FilterBatch(filterB);
        var findB = new FilterBatch(filterA);
        for (long i = t1 - minTail; i > 0 && ra.Next(); i--)
        {
            if (proofOpen)
            {
                findA.Find(ra.Hash, candidatesA);
                if (candidatesA.Count > maxCandidates) proofOpen = false;
            }
        }
        for (long i = t2 - minTail; i > 0 && rb.Next(); i--)
        {
            if (proofOpen)
            {
                findB.Find(rb.Hash, candidatesB);
                if (candidatesB.Count > maxCandidates) proofOpen = false;
            }
        }
        long run = 0;
        for (long t = 0; t < minTail && ra.Next() && rb.Next(); t++)
        {
            if (ra.Hash == rb.Hash && ra.Length == rb.Length)
            {
                run++;
                continue;
            }
            if (run > 0)
            {
                // Equal lines followed by a difference are middle lines common to both sides.
                proofOpen = false;
                run = 0;
            }
            if (!proofOpen) continue;
            findA.Find(ra.Hash, candidatesA);
            findB.Find(rb.Hash, candidatesB);
            if (candidatesA.Count > maxCandidates || candidatesB.Count > maxCandidates) proofOpen = false;
        }
        suffix = run;
        if (!proofOpen) return false;
        findA.FlushFind(candidatesA);
        findB.FlushFind(candidatesB);
        return candidatesA.Count <= maxCandidates && candidatesB.Count <= maxCandidates && SortedDisjoint(candidatesA, candidatesB);
    }

    /// <summary>One side's lines after the common first lines, as pass 1 saw them.</summary>
    internal sealed class Tail(SummaryOptions options, long blobSize, long startOffset, int windowLines) : IDisposable
    {
        public long Count { get; private set; }
        public HashBuffer Hashes { get; } = new();
        public LineFilter? Filter { get; private set; }
        public List<PreviewLine> Window { get; } = [];

        private const int EndLines = 64;
        private FilterBatch? _batch;
        private readonly ulong[] _end = new ulong[EndLines];

        /// <summary>
        /// The common last lines' count if the two tails' last lines tell it (fewer than they hold in common, or all of
        /// the shorter tail), else -1.
        /// </summary>
        public static long SuffixFromEnds(Tail a, Tail b, long minTail)
        {
            var limit = Math.Min(minTail, EndLines);
            long s = 0;
            while (s < limit && a._end[(int)((a.Count - 1 - s) % EndLines)] == b._end[(int)((b.Count - 1 - s) % EndLines)])
            {
                s++;
            }
            return s < limit || s == minTail ? s : -1;
        }

        /// <summary>Whether some of the tail's hashes were not kept.</summary>
        public bool Overflow => Count > Hashes.Count;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Add(LineReader reader)
        {
            if (Count < options.ExactDiffMaxLines)
            {
                Hashes.Add(reader.Hash);
            }
            else
            {
                if (_batch is null)
                {
                    Filter = CreateFilter(reader);
                    _batch = new FilterBatch(Filter);
                }
                _batch.Add(reader.Hash);
            }
            if (Window.Count < windowLines)
            {
                Window.Add(PreviewLine.From(reader));
            }
            _end[(int)(Count % EndLines)] = reader.Hash;
            Count++;
        }

        public LineFilter EnsureFilter()
        {
            _batch?.FlushAdd();
            if (Filter is null)
            {
                Filter = LineFilter.Create(Count, options.ExactDiffFilterBytes);
                Filter.AddMany(Hashes.Span);
            }
            return Filter;
        }

        private LineFilter CreateFilter(LineReader reader)
        {
            // Estimate the tail's line count from the average line so far and the bytes left.
            var seen = Math.Max(reader.Consumed - startOffset, 1);
            var average = Math.Max((double)seen / (Count + 1), 1);
            var left = Math.Max(blobSize - reader.Consumed, 0);
            var estimate = (long)Math.Min(Count + 1 + (left / average), long.MaxValue / 64);
            var filter = LineFilter.Create(estimate, options.ExactDiffFilterBytes);
            filter.AddMany(Hashes.Span);
            return filter;
        }

        /// <summary>Returns the rented hashes and filter words (the tail's <see cref="Window"/> stays usable).</summary>
        public void Dispose()
        {
            Hashes.Dispose();
            Filter?.Dispose();
        }
    }
}
