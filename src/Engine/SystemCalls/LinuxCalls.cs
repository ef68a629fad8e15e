using System.Runtime.InteropServices;

namespace AgentSnapshots.Engine.SystemCalls;

/// <summary>
/// The Linux system calls the working-tree reader and the watcher use, relative to directory handles: openat,
/// statx, getdents64, readlinkat, fstatfs, and inotify. Flag values are Linux's (those that differ by architecture
/// are chosen at start).
/// </summary>
internal static unsafe partial class LinuxCalls
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOSPC = 28;
    public const int ENAMETOOLONG = 36;
    public const int ELOOP = 40;
    public const int EPERM = 1;

    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private static readonly bool ArmFlags = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    private static readonly int ODirectory = ArmFlags ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = ArmFlags ? 0x8000 : 0x20000;

    /// <summary>Flags that open a directory for reading, failing if the name is a symlink or not a directory.</summary>
    public static int DirectoryFlags => ODirectory | ONoFollow | OCloExec;

    /// <summary>Flags that open a file's content, failing on a symlink, never blocking on a FIFO swapped in.</summary>
    public static int FileFlags => ONoFollow | OCloExec | ONonBlock;

    // struct statx (include/uapi/linux/stat.h): the same layout on every architecture, unlike struct stat.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(0x10)] public uint Links;
        [FieldOffset(0x14)] public uint Uid;
        [FieldOffset(0x18)] public uint Gid;
        [FieldOffset(0x1C)] public ushort Mode;
        [FieldOffset(0x20)] public ulong Inode;
        [FieldOffset(0x28)] public ulong Size;
        [FieldOffset(0x60)] public long CtimeSeconds;
        [FieldOffset(0x68)] public uint CtimeNanoseconds;
        [FieldOffset(0x70)] public long MtimeSeconds;
        [FieldOffset(0x78)] public uint MtimeNanoseconds;
        [FieldOffset(0x88)] public uint DevMajor;
        [FieldOffset(0x8C)] public uint DevMinor;
    }

    public const uint StatxBasicStats = 0x7FF;
    public const ushort TypeMask = 0xF000;
    public const ushort TypeDirectory = 0x4000;
    public const ushort TypeRegular = 0x8000;
    public const ushort TypeSymlink = 0xA000;
    public const ushort UserExecute = 0x40;

    // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
    public const int DirentReclenOffset = 16;
    public const int DirentTypeOffset = 18;
    public const int DirentNameOffset = 19;
    public const byte DtUnknown = 0;
    public const byte DtDirectory = 4;
    public const byte DtRegular = 8;
    public const byte DtSymlink = 10;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public const short PollIn = 0x1;

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirFd, byte* path, int flags);

    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    public static partial int StatxAt(int dirFd, byte* path, int flags, uint mask, Statx* buffer);

    /// <summary>
    /// statx without keeping errno: a walk stats every file, and saving errno costs three more native calls each
    /// time. On failure call <see cref="StatxAt"/> again for the reason.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "statx")]
    public static partial int StatxAtFast(int dirFd, byte* path, int flags, uint mask, Statx* buffer);

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint GetDents64(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    public static partial nint ReadLinkAt(int dirFd, byte* path, byte* buffer, nuint size);

    /// <summary>fstatfs(2) into a buffer whose first field is f_type (a long on 64-bit Linux).</summary>
    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    public static partial int FStatFs(int fd, byte* buffer);

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    public static partial int InotifyInit1(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
    public static partial int InotifyAddWatch(int fd, byte* path, uint mask);

    [LibraryImport("libc", EntryPoint = "inotify_rm_watch", SetLastError = true)]
    public static partial int InotifyRmWatch(int fd, int wd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    public const int InotifyCloExec = 0x80000;
    public const int InotifyNonBlock = 0x800;

    /// <summary>The exception .NET would throw for <paramref name="errno"/> on <paramref name="what"/>.</summary>
    public static Exception Error(int errno, string what)
    {
        var message = $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}";
        return errno switch
        {
            ENOENT => new FileNotFoundException(message),
            ENOTDIR or ELOOP => new DirectoryNotFoundException(message),
            EACCES or EPERM => new UnauthorizedAccessException(message),
            ENAMETOOLONG => new PathTooLongException(message),
            _ => new IOException(message, errno),
        };
    }
}
