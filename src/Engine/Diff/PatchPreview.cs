using System.Globalization;
using System.Text;
using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// Renders the first hunks of a file's unified diff (git's format: 3 lines of context, hunks closer than 6 common lines
/// merged, "@@ -a,b +c,d @@ function" headers) from the few lines pass 1 kept: the common lines before the first
/// change and the first lines of each side after it. The kept lines are aligned by an LCS on their hashes.
/// </summary>
internal sealed class PatchPreview(
    SummaryOptions options, PrefixContext context, List<PreviewLine> oldWindow, List<PreviewLine> newWindow,
    long prefix, long oldMiddle, long newMiddle, long suffix, bool allChanged)
{
    private const int ContextLines = 3;
    private const string NoNewline = "\\ No newline at end of file\n";

    private enum Kind : byte
    {
        Context,
        Delete,
        Add,
    }

    private readonly record struct Op(Kind Kind, PreviewLine Line);

    public (string Patch, bool Truncated) Render(long additions, long deletions, bool exact)
    {
        var contextLines = context.Lines;
        var a = oldWindow.Count < oldMiddle ? oldWindow : oldWindow.GetRange(0, (int)oldMiddle);
        var b = newWindow.Count < newMiddle ? newWindow : newWindow.GetRange(0, (int)newMiddle);
        var trailing = (int)Math.Min(ContextLines, suffix);
        var complete = oldWindow.Count >= oldMiddle + trailing && newWindow.Count >= newMiddle + trailing;
        var partial = !complete;

        var ops = new List<Op>(contextLines.Count + a.Count + b.Count + trailing);
        foreach (var line in contextLines) ops.Add(new Op(Kind.Context, line));
        if (allChanged)
        {
            foreach (var line in a) ops.Add(new Op(Kind.Delete, line));
            foreach (var line in b) ops.Add(new Op(Kind.Add, line));
        }
        else
        {
            var script = Align(a, b);
            if (!complete)
            {
                // Past the last common line the windows' ends may pair wrongly: show changes up to it only,
                // unless it is all there is.
                var lastEqual = script.FindLastIndex(op => op.Kind == Kind.Context);
                if (lastEqual >= 0) script.RemoveRange(lastEqual + 1, script.Count - lastEqual - 1);
            }
            ops.AddRange(script);
        }
        if (complete)
        {
            for (var i = 0; i < trailing; i++) ops.Add(new Op(Kind.Context, oldWindow[(int)oldMiddle + i]));
        }

        var builder = new StringBuilder();
        var budget = options.MaxPatchBytesPerFile;
        var used = 0;
        var truncated = partial;
        long shownAdds = 0, shownDeletes = 0;
        var function = context.FunctionLine;
        var firstOld = prefix - contextLines.Count + 1;
        var hunks = Hunks(ops);
        var stop = false;
        // Old and new line numbers of ops[i] are tracked as the ops are walked.
        long oldLine = firstOld, newLine = firstOld;
        var at = 0;
        foreach (var (start, end) in hunks)
        {
            for (; at < start; at++) Advance(ops[at], ref oldLine, ref newLine, ref function);
            long oldCount = 0, newCount = 0;
            for (var i = start; i < end; i++)
            {
                if (ops[i].Kind != Kind.Add) oldCount++;
                if (ops[i].Kind != Kind.Delete) newCount++;
            }
            if (allChanged && partial && hunks.Count == 1)
            {
                // One hunk of every middle line: its true extent is known.
                oldCount = contextLines.Count + oldMiddle + trailing;
                newCount = contextLines.Count + newMiddle + trailing;
            }
            var header = Header(oldLine, oldCount, newLine, newCount, function);
            if (!Fits(header, budget, ref used))
            {
                truncated = true;
                break;
            }
            builder.Append(header);
            var skipDeletes = false;
            for (var i = start; i < end && !stop; i++)
            {
                var op = ops[i];
                if (op.Kind == Kind.Delete && skipDeletes) continue;
                if (op.Kind == Kind.Delete && (i == start || ops[i - 1].Kind != Kind.Delete))
                {
                    // A change group: when it does not fit, its deletions get half of what is left.
                    var groupBytes = 0;
                    var hasAdds = false;
                    for (var j = i; j < end && ops[j].Kind != Kind.Context; j++)
                    {
                        groupBytes += Encoding.UTF8.GetByteCount(LineText(ops[j], out _));
                        hasAdds |= ops[j].Kind == Kind.Add;
                    }
                    if (hasAdds && used + groupBytes > budget)
                    {
                        var deleteBudget = used + ((budget - used) / 2);
                        for (var j = i; j < end && ops[j].Kind == Kind.Delete; j++)
                        {
                            var t = LineText(ops[j], out var cut);
                            if (!Fits(t, deleteBudget, ref used))
                            {
                                truncated = true;
                                break;
                            }
                            builder.Append(t);
                            truncated |= cut;
                            shownDeletes++;
                        }
                        skipDeletes = true;
                        continue;
                    }
                }
                var text = LineText(op, out var wasCut);
                if (!Fits(text, budget, ref used))
                {
                    truncated = true;
                    stop = true;
                    break;
                }
                builder.Append(text);
                truncated |= wasCut;
                if (op.Kind == Kind.Add) shownAdds++;
                if (op.Kind == Kind.Delete) shownDeletes++;
                if (op.Kind != Kind.Delete) skipDeletes = false;
            }
            if (stop) break;
            for (; at < end; at++) Advance(ops[at], ref oldLine, ref newLine, ref function);
        }
        truncated |= !exact || shownAdds != additions || shownDeletes != deletions;
        return (builder.ToString(), truncated);
    }

    private static void Advance(Op op, ref long oldLine, ref long newLine, ref byte[]? function)
    {
        if (op.Kind != Kind.Add)
        {
            oldLine++;
            if (PrefixContext.IsFunctionLine(op.Line.Text)) function = PrefixContext.FunctionText(op.Line.Text);
        }
        if (op.Kind != Kind.Delete) newLine++;
    }

    private static bool Fits(string text, int budget, ref int used)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (used + bytes > budget) return false;
        used += bytes;
        return true;
    }

    /// <summary>Hunks as [start, end) op ranges: changes with up to 3 context lines around, merged when 6 or fewer apart.</summary>
    private static List<(int Start, int End)> Hunks(List<Op> ops)
    {
        var hunks = new List<(int, int)>();
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Kind == Kind.Context)
            {
                i++;
                continue;
            }
            var start = i;
            var back = 0;
            while (start > 0 && back < ContextLines && ops[start - 1].Kind == Kind.Context)
            {
                start--;
                back++;
            }
            // Extend over changes whose gap of common lines is at most 2 * context.
            var lastChange = i;
            var j = i + 1;
            while (j < ops.Count)
            {
                if (ops[j].Kind != Kind.Context)
                {
                    lastChange = j;
                    j++;
                    continue;
                }
                var gapEnd = j;
                while (gapEnd < ops.Count && ops[gapEnd].Kind == Kind.Context) gapEnd++;
                if (gapEnd < ops.Count && gapEnd - j <= 2 * ContextLines)
                {
                    j = gapEnd;
                    continue;
                }
                break;
            }
            var end = lastChange + 1;
            var forward = 0;
            while (end < ops.Count && forward < ContextLines && ops[end].Kind == Kind.Context)
            {
                end++;
                forward++;
            }
            hunks.Add((start, end));
            i = end;
        }
        return hunks;
    }

    private static string Header(long oldStart, long oldCount, long newStart, long newCount, byte[]? function)
    {
        var sb = new StringBuilder("@@ -");
        Range(sb, oldStart, oldCount);
        sb.Append(" +");
        Range(sb, newStart, newCount);
        sb.Append(" @@");
        if (function is { Length: > 0 })
        {
            sb.Append(' ').Append(Encoding.UTF8.GetString(function));
        }
        sb.Append('\n');
        return sb.ToString();

        static void Range(StringBuilder sb, long start, long count)
        {
            // git prints the line before an empty range, and omits a count of 1.
            sb.Append((count == 0 ? start - 1 : start).ToString(CultureInfo.InvariantCulture));
            if (count != 1) sb.Append(',').Append(count.ToString(CultureInfo.InvariantCulture));
        }
    }

    private string LineText(Op op, out bool cut)
    {
        var line = op.Line;
        var text = line.Text.AsSpan();
        var max = options.MaxPreviewLineBytes;
        var whole = line.Length <= text.Length;
        if (whole && line.EndsWithNewline) text = text[..^1];
        cut = false;
        if (!whole || text.Length > max)
        {
            var n = Math.Min(text.Length, max);
            // Cut before a UTF-8 continuation byte so the last character stays whole.
            while (n > 0 && n < text.Length && (text[n] & 0xC0) == 0x80) n--;
            text = text[..n];
            cut = true;
        }
        var prefixChar = op.Kind switch
        {
            Kind.Delete => '-',
            Kind.Add => '+',
            _ => ' ',
        };
        var s = prefixChar + Encoding.UTF8.GetString(text) + "\n";
        return line.EndsWithNewline ? s : s + NoNewline;
    }

    /// <summary>An LCS alignment of two short line lists (dynamic programming on hashes), deletions before additions.</summary>
    private static List<Op> Align(List<PreviewLine> a, List<PreviewLine> b)
    {
        int n = a.Count, m = b.Count;
        var width = m + 1;
        var table = new ushort[(n + 1) * width];
        for (var i = n - 1; i >= 0; i--)
        {
            for (var j = m - 1; j >= 0; j--)
            {
                table[(i * width) + j] = a[i].Hash == b[j].Hash
                    ? (ushort)(table[((i + 1) * width) + j + 1] + 1)
                    : Math.Max(table[((i + 1) * width) + j], table[(i * width) + j + 1]);
            }
        }
        var ops = new List<Op>(n + m);
        var pendingAdds = new List<Op>();
        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (x < n && y < m && a[x].Hash == b[y].Hash && table[(x * width) + y] == table[((x + 1) * width) + y + 1] + 1)
            {
                ops.AddRange(pendingAdds);
                pendingAdds.Clear();
                ops.Add(new Op(Kind.Context, a[x]));
                x++;
                y++;
            }
            else if (x < n && (y == m || table[((x + 1) * width) + y] >= table[(x * width) + y + 1]))
            {
                ops.Add(new Op(Kind.Delete, a[x]));
                x++;
            }
            else
            {
                pendingAdds.Add(new Op(Kind.Add, b[y]));
                y++;
            }
        }
        ops.AddRange(pendingAdds);
        return ops;
    }
}
