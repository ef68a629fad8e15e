using System.Runtime.InteropServices;
using System.Text;
using AgentSnapshots.Engine.SystemCalls;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>
/// What a secret file's checks need on Linux, which .NET does not give: a file opened without following a symlink,
/// the owner and mode of an open handle or a directory (one statx each, so the checks are about what is read), and
/// the user this process runs as.
/// </summary>
public static unsafe class OwnedFiles
{
    /// <summary>The owner, mode and kind of a file or directory.</summary>
    public readonly record struct Status(uint Owner, UnixFileMode Mode, bool IsRegularFile, bool IsDirectory);

    /// <summary>The effective user id of this process.</summary>
    public static uint CurrentUser => LinuxCalls.GetEffectiveUserId();

    /// <summary>
    /// <paramref name="path"/> opened for reading, refusing a symlink as its last name (<paramref name="isSymlink"/>
    /// then true, the result null); null if there is no such file.
    /// </summary>
    public static SafeFileHandle? OpenForReadingNoFollow(string path, out bool isSymlink)
    {
        isSymlink = false;
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* name = bytes)
        {
            fd = LinuxCalls.OpenAt(LinuxCalls.AtFdCwd, name, LinuxCalls.FileFlags);
        }
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno == LinuxCalls.ELOOP)
        {
            isSymlink = true;
            return null;
        }
        return errno == LinuxCalls.ENOENT ? null : throw LinuxCalls.Error(errno, path);
    }

    /// <summary>The status of the open file <paramref name="handle"/>.</summary>
    public static Status Of(SafeFileHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Stat((int)handle.DangerousGetHandle(), "", LinuxCalls.AtEmptyPath, "an open file");
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The status of <paramref name="path"/> itself (a symlink is not followed).</summary>
    public static Status Of(string path) => Stat(LinuxCalls.AtFdCwd, path, LinuxCalls.AtSymlinkNoFollow, path);

    private static Status Stat(int dirFd, string path, int flags, string what)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        LinuxCalls.Statx raw;
        fixed (byte* name = bytes)
        {
            if (LinuxCalls.StatxAt(dirFd, name, flags, LinuxCalls.StatxBasicStats, &raw) != 0)
            {
                throw LinuxCalls.Error(Marshal.GetLastPInvokeError(), what);
            }
        }
        var type = raw.Mode & LinuxCalls.TypeMask;
        return new Status(raw.Uid, (UnixFileMode)(raw.Mode & 0xFFF), type == LinuxCalls.TypeRegular, type == LinuxCalls.TypeDirectory);
    }
}
