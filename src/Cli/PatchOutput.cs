using System.Text;

namespace AgentSnapshots.Cli;

/// <summary>
/// The patch previews of a summary as unified diffs (<c>diff --patch</c>), in git's colours on a terminal: file
/// headers bold, hunk headers cyan, added lines green, deleted lines red.
/// </summary>
internal static class PatchOutput
{
    private const string Bold = "\e[1m";
    private const string Cyan = "\e[36m";
    private const string Green = "\e[32m";
    private const string Red = "\e[31m";
    private const string Dim = "\e[2m";
    private const string Reset = "\e[m";

    public static string Render(DiffSummary summary, bool colour)
    {
        var sb = new StringBuilder();
        foreach (var file in summary.Files)
        {
            if (string.IsNullOrEmpty(file.Patch))
            {
                continue;
            }
            sb.AppendLine();
            Line(sb, colour, Bold, "--- " + (file.Status == FileStatus.Added ? "/dev/null" : "a/" + file.File));
            Line(sb, colour, Bold, "+++ " + (file.Status == FileStatus.Deleted ? "/dev/null" : "b/" + file.File));
            foreach (var line in file.Patch.TrimEnd('\n').Split('\n'))
            {
                if (line.StartsWith("@@", StringComparison.Ordinal))
                {
                    // The hunk range in cyan, the context after it (a line of the file) plain, as git prints it.
                    var end = line.IndexOf("@@", 2, StringComparison.Ordinal);
                    var range = end < 0 ? line : line[..(end + 2)];
                    sb.Append(colour ? Cyan + Visible(range) + Reset : Visible(range)).AppendLine(Visible(line[range.Length..]));
                }
                else
                {
                    Line(sb, colour, line.StartsWith('+') ? Green : line.StartsWith('-') ? Red : null, line);
                }
            }
            if (file.Truncated)
            {
                Line(sb, colour, Dim, "... preview cut (Snapshots:Summary:MaxPatchBytesPerFile); the counts above cover the whole file");
            }
        }
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, bool colour, string? style, string text) =>
        sb.AppendLine(colour && style is not null ? style + Visible(text) + Reset : Visible(text));

    /// <summary>
    /// Control characters of the file's content shown as ^X: written raw, an escape sequence in a previewed line
    /// would be obeyed by the terminal.
    /// </summary>
    private static string Visible(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c != '\t'))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (char.IsControl(c) && c != '\t')
            {
                sb.Append('^').Append(c < ' ' ? (char)(c + '@') : '?');
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
