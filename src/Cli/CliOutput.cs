using System.Globalization;
using System.Text;

namespace AgentSnapshots.Cli;

/// <summary>What the CLI prints: the contract's JSON shapes with --json, aligned tables for people otherwise.</summary>
internal static class CliOutput
{
    private static readonly string[] DiffHeader = ["STATUS", "+ADDED", "-DELETED", "OLD SIZE", "NEW SIZE", "FILE"];
    private static readonly string[] HistoryHeader = ["#", "HASH", "TIME (UTC)", "FILES", "SKIPPED", "CHANGED", "+ADDED", "-DELETED", "LABEL"];
    private static readonly int[] DiffNumericColumns = [1, 2, 3, 4];
    private static readonly int[] HistoryNumericColumns = [0, 3, 4, 5, 6, 7];

    public static string Track(TrackResult r, string? label)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"snapshot {r.Hash}");
        if (!string.IsNullOrWhiteSpace(label))
        {
            sb.Append(CultureInfo.InvariantCulture, $"  \"{label.Trim()}\"");
        }
        sb.AppendLine();
        sb.Append(CultureInfo.InvariantCulture, $"{Count(r.Files, "file")} stored, {r.SkippedCount} skipped");
        sb.AppendLine(r.SkippedCount > 0 ? " (not stored, left untouched by restore):" : "");
        foreach (var skipped in r.Skipped)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  skipped  {skipped.Path}  ({Why(skipped.Reason)})");
        }
        Omitted(sb, r.OmittedSkipped, "skipped path");
        return sb.ToString();
    }

    /// <summary>Why a file was skipped, in words.</summary>
    public static string Why(SkipReason reason) => reason switch
    {
        SkipReason.TooLarge => "larger than Snapshots:MaxFileBytes",
        SkipReason.NotUtf8 => "its name is not valid UTF-8",
        SkipReason.PathTooLong => "its path is too long",
        SkipReason.KeptChanging => "it kept changing while it was read",
        _ => "unreadable",
    };

    /// <summary>The line saying how many entries of a capped list were left out.</summary>
    private static void Omitted(StringBuilder sb, int omitted, string what)
    {
        if (omitted > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  ... and {Count(omitted, what)} more (Snapshots:MaxListedPaths)");
        }
    }

    public static string Changes(ChangesResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Count(r.FileCount, "path")} changed since {Short(r.Since)}");
        foreach (var path in r.Files)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {path}");
        }
        if (r.OmittedFiles > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  ... {Count(r.OmittedFiles, "more path")}: changes --after '{r.Files[^1]}' lists the next ones");
        }
        return sb.ToString();
    }

    public static string Diff(DiffSummary d)
    {
        var rows = new List<string[]> { DiffHeader };
        foreach (var f in d.Files)
        {
            var approx = f.Exact ? "" : "≤";
            rows.Add(
            [
                f.Status.ToString().ToLowerInvariant(),
                f.Binary ? "binary" : approx + f.Additions.ToString("N0", CultureInfo.InvariantCulture),
                f.Binary ? "" : approx + f.Deletions.ToString("N0", CultureInfo.InvariantCulture),
                f.Status == FileStatus.Added ? "-" : Size(f.OldSize),
                f.Status == FileStatus.Deleted ? "-" : Size(f.NewSize),
                f.File,
            ]);
        }
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"diff {Short(d.From)}..{Short(d.To)}");
        if (d.Files.Count > 0)
        {
            sb.Append(Table(rows, DiffNumericColumns));
        }
        sb.Append(CultureInfo.InvariantCulture,
            $"{Count(d.FileCount, "file")} changed, +{d.Additions.ToString("N0", CultureInfo.InvariantCulture)} -{d.Deletions.ToString("N0", CultureInfo.InvariantCulture)} lines");
        if (d.OmittedFiles > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" ({d.OmittedFiles} not listed, counted in the totals)");
        }
        sb.AppendLine();
        if (d.Files.Any(f => !f.Exact))
        {
            sb.AppendLine("≤: upper bound (added minus deleted is still exact)");
        }
        return sb.ToString();
    }

    public static string Restore(RestoreResult r, string verb)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{verb} to {Short(r.To)}: {Count(r.WrittenCount, "file")} written, {r.DeletedCount} deleted");
        foreach (var path in r.Written)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  written  {path}");
        }
        Omitted(sb, r.OmittedWritten, "written file");
        foreach (var path in r.Deleted)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  deleted  {path}");
        }
        Omitted(sb, r.OmittedDeleted, "deleted file");
        sb.AppendLine(CultureInfo.InvariantCulture, $"safety snapshot {r.Safety} (undo: restore --to {r.Safety})");
        return sb.ToString();
    }

    public static string History(SessionHistory h)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"session {h.Session}: {h.Workspace ?? "(not bound to a workspace yet)"}");
        if (h.Snapshots.Count == 0)
        {
            sb.AppendLine("no snapshots yet: run 'track --dir DIR' first");
            return sb.ToString();
        }
        var rows = new List<string[]> { HistoryHeader };
        var n = 0;
        foreach (var s in h.Snapshots)
        {
            rows.Add(
            [
                (++n).ToString(CultureInfo.InvariantCulture),
                s.Hash,
                s.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                s.Files.ToString("N0", CultureInfo.InvariantCulture),
                s.Skipped.ToString("N0", CultureInfo.InvariantCulture),
                // A step's stats: blank until computed (and for the first snapshot); ≤ marks upper bounds.
                s.Step?.Changed.ToString("N0", CultureInfo.InvariantCulture) ?? "",
                s.Step is { } a ? (a.Exact ? "" : "≤") + a.Additions.ToString("N0", CultureInfo.InvariantCulture) : "",
                s.Step is { } d ? (d.Exact ? "" : "≤") + d.Deletions.ToString("N0", CultureInfo.InvariantCulture) : "",
                s.Label ?? "",
            ]);
        }
        sb.Append(Table(rows, HistoryNumericColumns));
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Count(h.Snapshots.Count, "snapshot")}");
        return sb.ToString();
    }

    public static string Usage(WorkspaceUsage u)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"workspace {u.Workspace}: {u.Directory ?? "(directory unknown)"}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  store      {Size(u.Bytes)} in {Count(u.Objects, "object")}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  snapshots  {u.Snapshots.ToString("N0", CultureInfo.InvariantCulture)} kept");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  sessions   {u.Sessions.ToString("N0", CultureInfo.InvariantCulture)}");
        return sb.ToString();
    }

    public static string Collected(CollectionReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"gc {r.Workspace}: {Count(r.DroppedSnapshots, "snapshot")} dropped by retention, {Count(r.ObjectsDeleted, "object")} deleted, {Size(r.BytesFreed)} freed");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  remaining  {Size(r.Remaining.Bytes)} in {Count(r.Remaining.Objects, "object")}");
        return sb.ToString();
    }

    public static string Deleted(DeletedSession d) =>
        d.Workspace is null
            ? $"session {d.Session} deleted (it had no snapshots){Environment.NewLine}"
            : $"session {d.Session} deleted: {Count(d.Snapshots, "snapshot")} released in {d.Directory} (freed by the next gc){Environment.NewLine}";

    /// <summary>A byte count for people: B, KiB, MiB or GiB.</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static string Count(long n, string noun) =>
        n.ToString("N0", CultureInfo.InvariantCulture) + " " + (n == 1 ? noun : noun + "s");

    private static string Table(List<string[]> rows, int[] rightAligned)
    {
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                var last = i == row.Length - 1;
                var cell = rightAligned.Contains(i) ? row[i].PadLeft(widths[i]) : last ? row[i] : row[i].PadRight(widths[i]);
                sb.Append(cell);
                if (!last)
                {
                    sb.Append("  ");
                }
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
