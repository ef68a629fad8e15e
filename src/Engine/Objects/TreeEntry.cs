namespace AgentSnapshots.Engine.Objects;

/// <summary>The git file modes a snapshot uses.</summary>
public enum EntryMode
{
    Directory = 0x4000,        // 040000
    RegularFile = 0x81A4,      // 100644
    ExecutableFile = 0x81ED,   // 100755
    Symlink = 0xA000,          // 120000
    Gitlink = 0xE000,          // 160000, read only: snapshots never write one
}

/// <summary>One entry of a git tree object.</summary>
public readonly record struct TreeEntry(string Name, EntryMode Mode, GitObjectId Id)
{
    public bool IsDirectory => Mode == EntryMode.Directory;

    /// <summary>Git's octal spelling of the mode, as written in tree objects (no leading zero for trees).</summary>
    public static string ModeText(EntryMode mode) => Convert.ToString((int)mode, 8);

    /// <summary>
    /// Git orders tree entries by name bytes, comparing a directory's name as if it ended in '/'.
    /// Trees written in another order are not canonical and would hash differently from git's.
    /// </summary>
    public static int GitOrder(TreeEntry x, TreeEntry y)
    {
        var a = System.Text.Encoding.UTF8.GetBytes(x.Name);
        var b = System.Text.Encoding.UTF8.GetBytes(y.Name);
        var common = Math.Min(a.Length, b.Length);
        var c = a.AsSpan(0, common).SequenceCompareTo(b.AsSpan(0, common));
        if (c != 0) return c;
        int ta = a.Length > common ? a[common] : (x.IsDirectory ? '/' : 0);
        int tb = b.Length > common ? b[common] : (y.IsDirectory ? '/' : 0);
        return ta.CompareTo(tb);
    }
}
