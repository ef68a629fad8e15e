using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using AgentSnapshots.Engine.SystemCalls;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>The writing half of a Linux directory handle: the restorer's creates, renames, deletes and chmods, all *at calls on the handle.</summary>
internal sealed unsafe partial class LinuxDirectory : IWritableDirectory
{
    private const uint DirectoryMode = 0x1FF;       // 0777, less the umask, as mkdir(1) and git do
    private const uint FileMode = 0x1B6;            // 0666, less the umask
    private const uint ExecutableFileMode = 0x1FF;  // 0777, less the umask
    private const ushort ExecuteBits = 0x49;        // 0111
    private const ushort PermissionBits = 0xFFF;

    /// <summary>Opens the workspace root for a restore.</summary>
    public static LinuxDirectory OpenRootForWriting(string root) => OpenRoot(root);

    public IWritableDirectory OpenOrCreateDirectory(string name)
    {
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        fixed (byte* path = bytes)
        {
            while (true)
            {
                var fd = LinuxCalls.OpenAt(_fd, path, LinuxCalls.DirectoryFlags);
                if (fd >= 0) return new LinuxDirectory(fd, Shown(name));
                var errno = Marshal.GetLastPInvokeError();
                // Absent: make it, then open what is there (a racer's symlink put in between is refused by O_NOFOLLOW).
                if (errno != LinuxCalls.ENOENT) throw LinuxCalls.Error(errno, $"Cannot open directory '{Shown(name)}'");
                if (LinuxCalls.MkdirAt(_fd, path, DirectoryMode) == 0) continue;
                errno = Marshal.GetLastPInvokeError();
                if (errno != LinuxCalls.EEXIST) throw LinuxCalls.Error(errno, $"Cannot create directory '{Shown(name)}'");
            }
        }
    }

    public Stream CreateFile(string name, bool executable)
    {
        int fd;
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        fixed (byte* path = bytes)
        {
            fd = LinuxCalls.OpenAtCreating(_fd, path, LinuxCalls.CreateFlags, executable ? ExecutableFileMode : FileMode);
        }
        return fd >= 0
            ? new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1 << 16)
            : throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot create '{Shown(name)}'");
    }

    public void CreateSymlink(string name, string target)
    {
        var targetBytes = NameBytes(target, stackalloc byte[StackNameBytes]);
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        fixed (byte* link = targetBytes)
        fixed (byte* path = bytes)
        {
            if (LinuxCalls.SymlinkAt(link, _fd, path) != 0)
            {
                throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot create symlink '{Shown(name)}'");
            }
        }
    }

    public void Rename(string from, string to)
    {
        var fromBytes = NameBytes(from, stackalloc byte[StackNameBytes]);
        var toBytes = NameBytes(to, stackalloc byte[StackNameBytes]);
        fixed (byte* source = fromBytes)
        fixed (byte* destination = toBytes)
        {
            if (LinuxCalls.RenameAt(_fd, source, _fd, destination) != 0)
            {
                throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot rename '{Shown(from)}' to '{Shown(to)}'");
            }
        }
    }

    public bool DeleteFile(string name) => Unlink(name, 0, [LinuxCalls.ENOENT, LinuxCalls.EISDIR]);

    public bool TryRemoveEmptyDirectory(string name) =>
        Unlink(name, LinuxCalls.AtRemoveDir, [LinuxCalls.ENOENT, LinuxCalls.ENOTEMPTY, LinuxCalls.EEXIST, LinuxCalls.ENOTDIR]);

    public void SetExecutable(string name, bool executable)
    {
        // chmod has no no-follow form on Linux: name the entry with O_PATH|O_NOFOLLOW, check it is a regular file,
        // and chmod it through its /proc/self/fd link, which always means that very inode.
        int fd;
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        fixed (byte* path = bytes)
        {
            fd = LinuxCalls.OpenAt(_fd, path, LinuxCalls.PathFlags);
        }
        if (fd < 0) throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot open '{Shown(name)}'");
        try
        {
            LinuxCalls.Statx raw;
            byte empty = 0;
            if (LinuxCalls.StatxAt(fd, &empty, LinuxCalls.AtEmptyPath, LinuxCalls.StatxBasicStats, &raw) != 0)
            {
                throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot stat '{Shown(name)}'");
            }
            if ((raw.Mode & LinuxCalls.TypeMask) != LinuxCalls.TypeRegular)
            {
                throw new IOException($"'{Shown(name)}' is no longer a regular file.");
            }
            var current = (ushort)(raw.Mode & PermissionBits);
            // chmod +x: execute for whoever may read (r bits are 0444, x bits 0111: a shift of two).
            var wanted = executable ? (ushort)(current | LinuxCalls.UserExecute | ((current & 0x24) >> 2)) : (ushort)(current & ~ExecuteBits);
            if (wanted == current) return;
            var link = NameBytes("/proc/self/fd/" + fd.ToString(CultureInfo.InvariantCulture), stackalloc byte[64]);
            fixed (byte* procPath = link)
            {
                if (LinuxCalls.Chmod(procPath, wanted) != 0)
                {
                    throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), $"Cannot change the mode of '{Shown(name)}'");
                }
            }
        }
        finally
        {
            _ = LinuxCalls.Close(fd);
        }
    }

    private bool Unlink(string name, int flags, ReadOnlySpan<int> tolerated)
    {
        var bytes = NameBytes(name, stackalloc byte[StackNameBytes]);
        fixed (byte* path = bytes)
        {
            if (LinuxCalls.UnlinkAt(_fd, path, flags) == 0) return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return tolerated.Contains(errno) ? false : throw LinuxCalls.Error(errno, $"Cannot delete '{Shown(name)}'");
    }
}
