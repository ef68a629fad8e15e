namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>What a directory entry is, as far as a snapshot cares.</summary>
internal enum EntryKind : byte
{
    /// <summary>The listing did not say (the file system gives no type): stat it.</summary>
    Unknown,
    File,
    Directory,
    Symlink,
    /// <summary>A FIFO, socket or device: not content, never opened (git leaves them out too).</summary>
    Other,
}

/// <summary>A name in a directory listing and, where the listing says, its kind.</summary>
internal readonly record struct DirectoryEntry(string Name, EntryKind Kind);

/// <summary>A name the directory holds that no string can spell so that it opens (not valid UTF-8): reported, never stored.</summary>
internal readonly record struct UnrepresentableEntry(string Display, bool IsDirectory);

/// <summary>
/// An entry's stat, never following a symlink: kind, size, modification and status-change times (ns since the
/// epoch; <see cref="CtimeNs"/> is 0 where the reader cannot see it), the owner's execute bit, its identity
/// (device, inode), its owner and group (0 where unknown), and its number of hard links (<see cref="Links"/>: 0 where
/// unknown; above 1, a write through another name changes it with no event for this one).
/// </summary>
internal readonly record struct EntryStat(EntryKind Kind, long Size, long MtimeNs, long CtimeNs, bool Executable, ulong Device, ulong Inode, uint Uid, uint Gid, uint Links = 0);

/// <summary>
/// One directory of a working tree, opened for reading: a snapshot reaches files only through these, from the
/// workspace root down. On Linux each is a directory handle opened with O_NOFOLLOW|O_DIRECTORY relative to its
/// parent's handle, and every stat, open and readlink is relative to it, so a directory swapped for a symlink
/// while a snapshot runs can never lead a read outside the workspace. Elsewhere a portable, path-based reader
/// stands in (see <see cref="WorkingDirectory"/>).
/// Errors: a name that is gone (or is no longer a directory, for <see cref="OpenDirectory"/>) throws
/// <see cref="FileNotFoundException"/> or <see cref="DirectoryNotFoundException"/>; no permission,
/// <see cref="UnauthorizedAccessException"/>; a path too long, <see cref="PathTooLongException"/>; others <see cref="IOException"/>.
/// </summary>
internal interface IWorkingDirectory : IDisposable
{
    /// <summary>
    /// Every entry but "." and ".."; names that cannot be spelled go to <paramref name="unrepresentable"/>. Names
    /// <paramref name="known"/> (the directory's last state) already holds are handed out as its strings.
    /// </summary>
    void ReadEntries(List<DirectoryEntry> entries, List<UnrepresentableEntry> unrepresentable, DirectoryState? known = null);

    /// <summary>Stats <paramref name="name"/> without following a symlink; false if it is gone.</summary>
    bool TryStat(string name, out EntryStat stat);

    /// <summary>Stats this directory itself (its identity tells a replaced workspace root).</summary>
    EntryStat StatSelf();

    /// <summary>Opens the subdirectory <paramref name="name"/>; a symlink or a file there is refused as gone.</summary>
    IWorkingDirectory OpenDirectory(string name);

    /// <summary>Opens file <paramref name="name"/> for reading, refusing a symlink.</summary>
    Stream OpenFile(string name);

    /// <summary>The target of symlink <paramref name="name"/>, as the bytes the link holds.</summary>
    byte[] ReadLink(string name);

    /// <summary>A path that names this very directory for inotify (its handle in /proc/self/fd), or null where there is none.</summary>
    string? WatchPath { get; }

    /// <summary>The file system's type (statfs f_type), or 0 where unknown.</summary>
    long FileSystemType { get; }
}
