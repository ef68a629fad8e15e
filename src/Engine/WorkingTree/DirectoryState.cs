using System.Runtime.InteropServices;
using AgentSnapshots.Engine.Ignore;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.WorkingTree.Reading;

namespace AgentSnapshots.Engine.WorkingTree;

/// <summary>
/// What the last snapshot saw of one file or symlink: its stat (<see cref="FileStamp"/>), mode and blob. An entry
/// whose modification or status-change time was too close to the snapshot's start is <see cref="Racy"/>: a write
/// in the same timestamp tick would leave its stat unchanged, so a walk never trusts it (git's racy-clean rule).
/// </summary>
/// <remarks>Auto layout: a million of these are held per big workspace, so padding matters (72 bytes each).</remarks>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct FileState(string Name, EntryMode Mode, FileStamp Stamp, GitObjectId Id, bool Racy)
{
    /// <summary>Whether <paramref name="stat"/> (with <paramref name="mode"/>) still describes this entry, so its blob can be reused.</summary>
    public bool Matches(in EntryStat stat, EntryMode mode) => !Racy && Mode == mode && Stamp.Matches(stat);

    /// <summary>Same name, mode and blob: the same tree entry.</summary>
    public bool SameEntry(in FileState other) => Name == other.Name && Mode == other.Mode && Id == other.Id;
}

/// <summary>
/// The last snapshot's view of one directory of the working tree: its files (sorted by name), its
/// subdirectories (sorted, including empty and unreadable ones, which hold no tree entry), its tree id, and what
/// it skipped. In memory it also carries the ignore rules in force inside it and its watch, so a track driven by
/// the watcher re-reads one directory without walking from the root. Owned by one workspace's snapshotter.
/// </summary>
internal sealed class DirectoryState
{
    public DirectoryState(string name, DirectoryState? parent)
    {
        Name = name;
        Parent = parent;
        Path = parent is null ? "" : parent.Path.Length == 0 ? name : parent.Path + "/" + name;
        Depth = parent is null ? 0 : parent.Depth + 1;
    }

    public string Name { get; }

    /// <summary>Workspace-relative, '/'-separated; "" for the root.</summary>
    public string Path { get; }

    public int Depth { get; }

    public DirectoryState? Parent { get; }

    /// <summary>Sorted by name. A walk that finds a directory as it was hands on the previous state's very list (<see cref="UseFiles"/>).</summary>
    public List<FileState> Files { get; private set; } = [];

    public List<DirectoryState> Directories { get; } = [];

    /// <summary>The tree of what this directory holds; null when it holds nothing a tree keeps (git stores no empty trees).</summary>
    public GitObjectId? Tree { get; set; }

    /// <summary>Files (and symlinks) stored in this directory's subtree.</summary>
    public int FileCount { get; set; }

    /// <summary>What this directory's own listing left out, or null.</summary>
    public List<SkippedPath>? Skipped { get; set; }

    /// <summary>The ignore rules in force inside this directory (its own .gitignore pushed); set by every walk.</summary>
    public IgnoreRules? Rules { get; set; }

    /// <summary>This directory's own .gitignore as last parsed, with the stat it had, so an unchanged one is not parsed again.</summary>
    public ParsedIgnoreFile? IgnoreFile { get; set; }

    /// <summary>The inotify watch descriptor on this directory, or -1.</summary>
    public int Watch { get; set; } = -1;

    /// <summary>Set while a walk could not open it (it vanished): dropped when the walk finishes.</summary>
    public bool Gone { get; set; }

    /// <summary>Set when it was cut out of the tree (deleted, replaced, ignored now): queued events for it are stale.</summary>
    public bool Detached { get; set; }

    /// <summary>The state this one replaces, during the walk that builds it.</summary>
    public DirectoryState? Previous { get; set; }

    /// <summary>Whether two file lists record the same files with the same stats and blobs (the very list, when a walk kept it, at once).</summary>
    public static bool SameFiles(List<FileState> now, List<FileState> before)
    {
        if (ReferenceEquals(now, before)) return true;
        if (now.Count != before.Count) return false;
        for (var i = 0; i < now.Count; i++)
        {
            if (now[i] != before[i]) return false;
        }
        return true;
    }

    /// <summary>Makes <paramref name="files"/> (sorted by name) this directory's files: a new list, or the previous state's when nothing changed.</summary>
    public void UseFiles(List<FileState> files) => Files = files;

    /// <summary>
    /// The string this directory already holds for the name spelled <paramref name="utf8"/> (a file's, else a
    /// subdirectory's), so listing an unchanged directory again decodes and allocates no name; null when it holds
    /// none, or the name is not ASCII (then it is decoded as usual).
    /// </summary>
    public string? KnownName(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Ascii.IsValid(utf8)) return null;
        var i = BinarySearch(Files, utf8, static f => f.Name);
        if (i >= 0) return Files[i].Name;
        i = BinarySearch(Directories, utf8, static d => d.Name);
        return i >= 0 ? Directories[i].Name : null;
    }

    public string ChildPath(string name) => Path.Length == 0 ? name : Path + "/" + name;

    public int FindFile(string name) => BinarySearch(Files, name, static f => f.Name);

    public int FindDirectory(string name) => BinarySearch(Directories, name, static d => d.Name);

    public DirectoryState? DirectoryNamed(string name)
    {
        var i = FindDirectory(name);
        return i >= 0 ? Directories[i] : null;
    }

    public FileState? FileNamed(string name)
    {
        var i = FindFile(name);
        return i >= 0 ? Files[i] : null;
    }

    /// <summary>Adds or replaces the file entry of the same name, keeping the list sorted.</summary>
    public void SetFile(FileState file)
    {
        var i = FindFile(file.Name);
        if (i >= 0) Files[i] = file;
        else Files.Insert(~i, file);
    }

    public bool RemoveFile(string name)
    {
        var i = FindFile(name);
        if (i < 0) return false;
        Files.RemoveAt(i);
        return true;
    }

    /// <summary>Adds or replaces the subdirectory of the same name, keeping the list sorted.</summary>
    public void SetDirectory(DirectoryState directory)
    {
        var i = FindDirectory(directory.Name);
        if (i >= 0) Directories[i] = directory;
        else Directories.Insert(~i, directory);
    }

    public DirectoryState? RemoveDirectory(string name)
    {
        var i = FindDirectory(name);
        if (i < 0) return null;
        var removed = Directories[i];
        Directories.RemoveAt(i);
        return removed;
    }

    /// <summary>Drops any skipped report for <paramref name="path"/> (a file, or a directory spelled with '/').</summary>
    public void ForgetSkipped(string path)
    {
        Skipped?.RemoveAll(s => s.Path == path || (s.Path.Length == path.Length + 1 && s.Path.EndsWith('/') && s.Path.StartsWith(path, StringComparison.Ordinal)));
        if (Skipped is { Count: 0 }) Skipped = null;
    }

    public void AddSkipped(SkippedPath skipped) => (Skipped ??= []).Add(skipped);

    /// <summary>This directory and every one below it, parents first.</summary>
    public IEnumerable<DirectoryState> SelfAndDescendants()
    {
        var stack = new Stack<DirectoryState>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            for (var i = node.Directories.Count - 1; i >= 0; i--) stack.Push(node.Directories[i]);
        }
    }

    /// <summary>The tree entries this directory's tree holds: its stored files and its non-empty subdirectories.</summary>
    public List<TreeEntry> TreeEntries()
    {
        var entries = new List<TreeEntry>(Files.Count + Directories.Count);
        foreach (var file in Files) entries.Add(new TreeEntry(file.Name, file.Mode, file.Id));
        foreach (var dir in Directories)
        {
            if (dir.Tree is { } id) entries.Add(new TreeEntry(dir.Name, EntryMode.Directory, id));
        }
        return entries;
    }

    /// <summary>As the search by string, for an ASCII name in bytes: ordinal order of strings is byte order of ASCII.</summary>
    private static int BinarySearch<T>(List<T> list, ReadOnlySpan<byte> ascii, Func<T, string> nameOf)
    {
        int lo = 0, hi = list.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = CompareOrdinal(nameOf(list[mid]), ascii);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    private static int CompareOrdinal(string name, ReadOnlySpan<byte> ascii)
    {
        var common = Math.Min(name.Length, ascii.Length);
        for (var i = 0; i < common; i++)
        {
            var c = name[i] - ascii[i];
            if (c != 0) return c;
        }
        return name.Length - ascii.Length;
    }

    private static int BinarySearch<T>(List<T> list, string name, Func<T, string> nameOf)
    {
        int lo = 0, hi = list.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = string.CompareOrdinal(nameOf(list[mid]), name);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }
}

/// <summary>A directory's .gitignore as parsed, and the stat it had then (<see cref="Racy"/> as for <see cref="FileState"/>).</summary>
internal sealed record ParsedIgnoreFile(IgnoreFile Patterns, FileStamp Stamp, bool Racy)
{
    /// <summary>Whether <paramref name="stat"/> still describes the file parsed, so the parse can be reused.</summary>
    public bool Matches(in EntryStat stat) => !Racy && Stamp.Matches(stat);
}
