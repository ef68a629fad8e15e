using System.Runtime.InteropServices;

namespace AgentSnapshots.Engine.SystemCalls;

/// <summary>The Linux system calls the restorer writes with, relative to directory handles.</summary>
internal static unsafe partial class LinuxCalls
{
    public const int AtRemoveDir = 0x200;
    public const int EISDIR = 21;
    public const int ENOTEMPTY = 39;

    private const int OWriteOnly = 0x1;
    private const int OCreate = 0x40;
    private const int OExclusive = 0x80;
    private const int OPath = 0x200000;

    /// <summary>Flags that create a new file for writing, failing if any entry (a symlink included) has the name.</summary>
    public static int CreateFlags => OWriteOnly | OCreate | OExclusive | ONoFollow | OCloExec;

    /// <summary>Flags that name an entry without opening its content (O_PATH), never following a symlink.</summary>
    public static int PathFlags => OPath | ONoFollow | OCloExec;

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAtCreating(int dirFd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirFd, byte* path, uint mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirFd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true)]
    public static partial int RenameAt(int fromDirFd, byte* from, int toDirFd, byte* to);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true)]
    public static partial int SymlinkAt(byte* target, int dirFd, byte* path);

    [LibraryImport("libc", EntryPoint = "chmod", SetLastError = true)]
    public static partial int Chmod(byte* path, uint mode);
}
