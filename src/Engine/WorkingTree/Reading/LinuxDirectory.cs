using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.SystemCalls;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>
/// A working-tree directory as a Linux directory handle: opened with O_NOFOLLOW|O_DIRECTORY from its parent's
/// handle, listed with getdents64 (names as the kernel returns them, bytes and all, so names that are not valid
/// UTF-8 are seen and reported), its entries stat'ed, opened and read relative to it. Nothing here resolves a path
/// from the root again, so a directory swapped for a symlink mid-snapshot cannot lead a read outside the workspace.
/// </summary>
internal sealed unsafe partial class LinuxDirectory : IWorkingDirectory
{
    private const int ListBufferBytes = 32 * 1024;
    private const int StackNameBytes = 512;

    private readonly string _shown;
    private int _fd;

    private LinuxDirectory(int fd, string shown)
    {
        _fd = fd;
        _shown = shown;
    }

    public string? WatchPath => "/proc/self/fd/" + _fd.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public long FileSystemType
    {
        get
        {
            var buffer = stackalloc byte[256];
            return LinuxCalls.FStatFs(_fd, buffer) == 0 ? (long)*(nint*)buffer : 0;
        }
    }

    /// <summary>
    /// Opens <paramref name="root"/> one component at a time from '/', each with O_NOFOLLOW: a directory above the root
    /// replaced by a symlink since the root was resolved is refused, never followed (a path opened whole follows
    /// symlinks in every component but the last, and could lead a checked workspace to someone else's directory).
    /// </summary>
    public static LinuxDirectory OpenRoot(string root)
    {
        if (!Path.IsPathRooted(root))
        {
            var relative = OpenAt(LinuxCalls.AtFdCwd, root, LinuxCalls.DirectoryFlags);
            return relative >= 0 ? new LinuxDirectory(relative, root) : throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot open '{root}'");
        }
        var fd = OpenAt(LinuxCalls.AtFdCwd, "/", LinuxCalls.DirectoryFlags);
        foreach (var part in root.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (fd < 0)
            {
                break;
            }
            var next = OpenAt(fd, part, LinuxCalls.DirectoryFlags);
            var errno = Marshal.GetLastPInvokeError();
            LinuxCalls.Close(fd);
            Marshal.SetLastPInvokeError(errno);
            fd = next;
        }
        return fd >= 0 ? new LinuxDirectory(fd, root) : throw RootError(Marshal.GetLastPInvokeError(), root);
    }

    /// <summary>Why the root could not be opened: a directory on its path replaced (by a symlink or a file) or gone, said as such.</summary>
    private static Exception RootError(int errno, string root) => errno switch
    {
        LinuxCalls.ELOOP or LinuxCalls.ENOTDIR => new EngineException(EngineError.WorkspaceMismatch,
            $"Workspace directory '{root}' no longer resolves to itself (it, or a directory above it, was replaced by a symlink); nothing was read or written. A session stays with the directory it was bound to: put it back, or track the directory where it is now with a new session."),
        LinuxCalls.ENOENT => new EngineException(EngineError.MissingDirectory,
            $"Workspace directory '{root}' is not there now (it, or a directory above it, was moved or deleted); nothing was read or written."),
        _ => LinuxCalls.Error(errno, $"Cannot open '{root}'"),
    };

    public void ReadEntries(List<DirectoryEntry> entries, List<UnrepresentableEntry> unrepresentable, DirectoryState? known = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ListBufferBytes);
        try
        {
            fixed (byte* start = buffer)
            {
                while (true)
                {
                    var read = LinuxCalls.GetDents64(_fd, start, (nuint)buffer.Length);
                    if (read == 0) return;
                    if (read < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == LinuxCalls.EINTR) continue;
                        throw LinuxCalls.Error(errno, $"Cannot list '{_shown}'");
                    }
                    for (var offset = 0; offset < read;)
                    {
                        var entry = start + offset;
                        offset += *(ushort*)(entry + LinuxCalls.DirentReclenOffset);
                        var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + LinuxCalls.DirentNameOffset);
                        if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                        var type = *(entry + LinuxCalls.DirentTypeOffset);
                        if (known?.KnownName(name) is { } same)
                        {
                            entries.Add(new DirectoryEntry(same, KindOf(type)));
                        }
                        else if (Utf8.IsValid(name))
                        {
                            entries.Add(new DirectoryEntry(Encoding.UTF8.GetString(name), KindOf(type)));
                        }
                        else
                        {
                            unrepresentable.Add(new UnrepresentableEntry(RawDirectory.Escape(name), IsDirectory(entry + LinuxCalls.DirentNameOffset, type)));
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public bool TryStat(string name, out EntryStat stat)
    {
        LinuxCalls.Statx raw;
        int result;
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        var errno = 0;
        fixed (byte* path = bytes)
        {
            result = LinuxCalls.StatxAtFast(_fd, path, LinuxCalls.AtSymlinkNoFollow, LinuxCalls.StatxBasicStats, &raw);
            if (result != 0)
            {
                // Rare (a name gone since the listing): ask again, keeping errno this time.
                result = LinuxCalls.StatxAt(_fd, path, LinuxCalls.AtSymlinkNoFollow, LinuxCalls.StatxBasicStats, &raw);
                if (result != 0) errno = Marshal.GetLastPInvokeError();
            }
        }
        if (result != 0)
        {
            if (errno is LinuxCalls.ENOENT or LinuxCalls.ENOTDIR)
            {
                stat = default;
                return false;
            }
            throw LinuxCalls.Error(errno, $"Cannot stat '{Shown(name)}'");
        }
        stat = ToStat(raw);
        return true;
    }

    /// <summary>
    /// Stats a file outside any workspace by its path, following symlinks as reading it does (an ignore file above a
    /// workspace's root); false if it is absent or cannot be stat'ed.
    /// </summary>
    public static bool TryStatPath(string path, out EntryStat stat)
    {
        LinuxCalls.Statx raw;
        int result;
        var bytes = NameBytes(path, stackalloc byte[StackNameBytes]);
        fixed (byte* name = bytes)
        {
            result = LinuxCalls.StatxAtFast(LinuxCalls.AtFdCwd, name, 0, LinuxCalls.StatxBasicStats, &raw);
        }
        stat = result == 0 ? ToStat(raw) : default;
        return result == 0;
    }

    public EntryStat StatSelf()
    {
        LinuxCalls.Statx raw;
        byte empty = 0;
        if (LinuxCalls.StatxAt(_fd, &empty, LinuxCalls.AtEmptyPath, LinuxCalls.StatxBasicStats, &raw) != 0)
        {
            throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot stat '{_shown}'");
        }
        return ToStat(raw);
    }

    public IWorkingDirectory OpenDirectory(string name)
    {
        var fd = OpenAt(_fd, name, LinuxCalls.DirectoryFlags);
        return fd >= 0 ? new LinuxDirectory(fd, Shown(name)) : throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot open directory '{Shown(name)}'");
    }

    public Stream OpenFile(string name)
    {
        var fd = OpenAt(_fd, name, LinuxCalls.FileFlags);
        if (fd < 0)
        {
            throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot open '{Shown(name)}'");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // Opened by name after a stat: make sure it is still a regular file (a FIFO swapped in is not content).
            LinuxCalls.Statx raw;
            byte empty = 0;
            if (LinuxCalls.StatxAt(fd, &empty, LinuxCalls.AtEmptyPath, LinuxCalls.StatxBasicStats, &raw) != 0 ||
                (raw.Mode & LinuxCalls.TypeMask) != LinuxCalls.TypeRegular)
            {
                throw new FileNotFoundException($"'{Shown(name)}' is no longer a regular file.");
            }
            return new FileStream(handle, FileAccess.Read, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public byte[] ReadLink(string name)
    {
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        for (var size = 1024; ; size *= 4)
        {
            var target = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                nint read;
                fixed (byte* path = bytes)
                fixed (byte* into = target)
                {
                    read = LinuxCalls.ReadLinkAt(_fd, path, into, (nuint)target.Length);
                }
                if (read < 0)
                {
                    throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot read link '{Shown(name)}'");
                }
                if (read < target.Length) return target.AsSpan(0, (int)read).ToArray();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(target);
            }
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) _ = LinuxCalls.Close(fd);
    }

    private string Shown(string name) => _shown + "/" + name;

    private static EntryStat ToStat(in LinuxCalls.Statx raw)
    {
        var kind = (raw.Mode & LinuxCalls.TypeMask) switch
        {
            LinuxCalls.TypeRegular => EntryKind.File,
            LinuxCalls.TypeDirectory => EntryKind.Directory,
            LinuxCalls.TypeSymlink => EntryKind.Symlink,
            _ => EntryKind.Other,
        };
        // StatxBasicStats asks for every field read here. The kernel writes the whole struct: a field a file system
        // cannot give holds 0 or a stand-in, the same at every call, so it compares equal to itself.
        return new EntryStat(kind, (long)raw.Size, raw.MtimeSeconds * 1_000_000_000 + raw.MtimeNanoseconds,
            raw.CtimeSeconds * 1_000_000_000 + raw.CtimeNanoseconds, (raw.Mode & LinuxCalls.UserExecute) != 0,
            ((ulong)raw.DevMajor << 32) | raw.DevMinor, raw.Inode, raw.Uid, raw.Gid, raw.Links);
    }

    private static EntryKind KindOf(byte type) => type switch
    {
        LinuxCalls.DtRegular => EntryKind.File,
        LinuxCalls.DtDirectory => EntryKind.Directory,
        LinuxCalls.DtSymlink => EntryKind.Symlink,
        LinuxCalls.DtUnknown => EntryKind.Unknown,
        _ => EntryKind.Other,
    };

    /// <summary>Whether an entry is a directory: its d_type, or (where the file system gives none) a stat by its raw name.</summary>
    private bool IsDirectory(byte* name, byte type)
    {
        if (type != LinuxCalls.DtUnknown) return type == LinuxCalls.DtDirectory;
        LinuxCalls.Statx raw;
        return LinuxCalls.StatxAt(_fd, name, LinuxCalls.AtSymlinkNoFollow, LinuxCalls.StatxBasicStats, &raw) == 0 &&
            (raw.Mode & LinuxCalls.TypeMask) == LinuxCalls.TypeDirectory;
    }

    private static int OpenAt(int dirFd, string name, int flags)
    {
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        fixed (byte* path = bytes)
        {
            return LinuxCalls.OpenAt(dirFd, path, flags);
        }
    }

    /// <summary><paramref name="name"/> as NUL-terminated UTF-8, in <paramref name="scratch"/> when it fits.</summary>
    private static ReadOnlySpan<byte> NameBytes(string name, Span<byte> scratch)
    {
        var max = Encoding.UTF8.GetMaxByteCount(name.Length) + 1;
        var buffer = max <= scratch.Length ? scratch : new byte[max];
        var length = Encoding.UTF8.GetBytes(name, buffer);
        buffer[length] = 0;
        return buffer[..(length + 1)];
    }
}
