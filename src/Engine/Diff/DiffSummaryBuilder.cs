using System.Text;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Diff;

/// <summary>Builds the size-capped DiffSummary of two trees of one object store, in bounded memory.</summary>
public sealed class DiffSummaryBuilder(ObjectStore store, SummaryOptions limits)
{
    /// <summary>Bytes counted for a file entry's fields besides its path and patch (names, numbers, flags, punctuation).</summary>
    internal const int FileEntryOverheadBytes = 200;

    /// <summary>Bytes counted for the summary's own fields (two tree ids, totals, punctuation).</summary>
    internal const int SummaryOverheadBytes = 400;

    public TreeDiffSummary Summarize(GitObjectId from, GitObjectId to, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TreeChange> changes;
        try
        {
            changes = TreeComparer.Compare(store, from, to, cancellationToken);
        }
        catch (StoreObjectException e)
        {
            throw e.NeededBy(store.GitDir, $"a tree of snapshot {from} or {to}");
        }
        var differ = new TextDiffer(limits);
        var maxFiles = Math.Max(limits.MaxFiles, 0);
        var listed = new List<FileDiffSummary>(Math.Min(changes.Count, maxFiles));
        long additions = 0, deletions = 0;
        var exact = true;
        for (var i = 0; i < changes.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            FileDiffSummary file;
            try
            {
                file = DiffFile(changes[i], differ, withPreview: i < maxFiles, cancellationToken);
            }
            catch (StoreObjectException e)
            {
                throw e.NeededBy(store.GitDir, $"'{changes[i].Path}' in the diff of snapshots {from} and {to}");
            }
            additions += file.Additions;
            deletions += file.Deletions;
            exact &= file.Exact;
            if (i < maxFiles) listed.Add(file);
        }
        Cap(listed, limits.MaxSummaryBytes);
        return new TreeDiffSummary(from, to, changes.Count, changes.Count - listed.Count, additions, deletions, listed) { Exact = exact };
    }

    /// <summary>Drops patches, then files from the end, until the estimated JSON size is under <paramref name="maxBytes"/>.</summary>
    internal static void Cap(List<FileDiffSummary> files, int maxBytes)
    {
        long bare = SummaryOverheadBytes;
        foreach (var f in files) bare += FileEntryOverheadBytes + JsonStringBytes(f.File);
        while (files.Count > 0 && bare > maxBytes)
        {
            var last = files[^1];
            bare -= FileEntryOverheadBytes + JsonStringBytes(last.File);
            files.RemoveAt(files.Count - 1);
        }
        var left = maxBytes - bare;
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            if (f.Patch.Length == 0) continue;
            var cost = JsonStringBytes(f.Patch);
            if (cost <= left)
            {
                left -= cost;
            }
            else
            {
                files[i] = f with { Patch = "", Truncated = true };
            }
        }
    }

    /// <summary>
    /// A safe upper bound of a string's size as a JSON string: quotes included, and every character that some encoder
    /// escapes (controls, quotes, backslash, HTML-sensitive and non-ASCII characters) counted as a 6-byte \uXXXX escape.
    /// </summary>
    internal static long JsonStringBytes(string s)
    {
        long n = 2;
        foreach (var c in s)
        {
            n += c is >= ' ' and < (char)0x7F and not ('"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`') ? 1 : 6;
        }
        return n;
    }

    private FileDiffSummary DiffFile(TreeChange change, TextDiffer differ, bool withPreview, CancellationToken cancellationToken)
    {
        var (openOld, oldSize) = Side(change.Old);
        var (openNew, newSize) = Side(change.New);
        var same = change.Old is { } o && change.New is { } n && o.Id == n.Id && o.Mode != EntryMode.Gitlink && n.Mode != EntryMode.Gitlink;
        var result = differ.Diff(openOld, oldSize, openNew, newSize, same, withPreview, cancellationToken);
        return new FileDiffSummary(change.Path, change.Status, result.Additions, result.Deletions, result.Exact, result.Binary,
            oldSize, newSize, result.Patch, result.Truncated);
    }

    /// <summary>How to open one side's content, and its size (0 for an absent side).</summary>
    private (Func<Stream> Open, long Size) Side(TreeEntry? entry)
    {
        if (entry is not { } e)
        {
            return (static () => new MemoryStream([], writable: false), 0);
        }
        if (e.Mode == EntryMode.Gitlink)
        {
            // git diffs a submodule entry as the text "Subproject commit <id>\n"; there is no blob to read.
            var text = Encoding.ASCII.GetBytes("Subproject commit " + e.Id.ToHex() + "\n");
            return (() => new MemoryStream(text, writable: false), 0);
        }
        var (type, size) = store.ReadHeader(e.Id);
        if (type != "blob")
        {
            throw new CorruptObjectException(e.Id, store.GitDir, $"it is a {type} at a file path, not a blob");
        }
        var id = e.Id;
        return (() => store.OpenBlob(id), size);
    }
}
