using System.Globalization;

namespace AgentSnapshots.Silo.Ui;

/// <summary>One row of a side-by-side preview: a hunk header or note across both sides, or a line on either side or both.</summary>
internal sealed record SplitRow(SplitRowKind Kind, string Text, int? OldLine, string? Old, int? NewLine, string? New);

internal enum SplitRowKind
{
    /// <summary>An <c>@@ -a,b +c,d @@</c> line, or text outside any hunk (a note such as "\ No newline at end of file").</summary>
    Across,

    /// <summary>A context line, the same on both sides.</summary>
    Context,

    /// <summary>A deleted line on the left beside an added line on the right (either may be missing).</summary>
    Change,
}

/// <summary>
/// A unified-diff preview laid out side by side: each run of deleted lines is paired row by row with the run of added
/// lines that follows it, with each side's line numbers counted from its hunk header. A preview the summary cut
/// mid-hunk simply ends.
/// </summary>
internal static class SplitPatch
{
    public static IReadOnlyList<SplitRow> Rows(string patch)
    {
        var rows = new List<SplitRow>();
        var deleted = new List<(int Line, string Text)>();
        var added = new List<(int Line, string Text)>();
        int oldLine = 0, newLine = 0;
        var inHunk = false;

        void Flush()
        {
            for (var i = 0; i < Math.Max(deleted.Count, added.Count); i++)
            {
                var (dl, dt) = i < deleted.Count ? deleted[i] : (0, null!);
                var (al, at) = i < added.Count ? added[i] : (0, null!);
                rows.Add(new SplitRow(SplitRowKind.Change, "", i < deleted.Count ? dl : null, dt, i < added.Count ? al : null, at));
            }
            deleted.Clear();
            added.Clear();
        }

        foreach (var line in patch.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("@@", StringComparison.Ordinal))
            {
                Flush();
                (oldLine, newLine) = HunkStarts(line);
                inHunk = true;
                rows.Add(new SplitRow(SplitRowKind.Across, line, null, null, null, null));
            }
            else if (!inHunk || line.StartsWith('\\'))
            {
                Flush();
                rows.Add(new SplitRow(SplitRowKind.Across, line, null, null, null, null));
            }
            else if (line.StartsWith('-'))
            {
                // A deletion after additions starts a new change block.
                if (added.Count > 0)
                {
                    Flush();
                }
                deleted.Add((oldLine++, line[1..]));
            }
            else if (line.StartsWith('+'))
            {
                added.Add((newLine++, line[1..]));
            }
            else
            {
                Flush();
                var text = line.Length > 0 ? line[1..] : "";
                rows.Add(new SplitRow(SplitRowKind.Context, "", oldLine++, text, newLine++, text));
            }
        }
        Flush();
        return rows;
    }

    /// <summary>The first old and new line numbers of a hunk header <c>@@ -a[,b] +c[,d] @@</c> (1 when unreadable).</summary>
    private static (int Old, int New) HunkStarts(string header)
    {
        var parts = header.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (parts.Length > 2 ? Start(parts[1]) : 1, parts.Length > 2 ? Start(parts[2]) : 1);

        static int Start(string range) =>
            int.TryParse(range.AsSpan(1).ToString().Split(',')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Math.Max(n, 1) : 1;
    }
}
