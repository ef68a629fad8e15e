using System.Runtime.InteropServices;

namespace AgentSnapshots.Engine.SystemCalls;

/// <summary>System calls .NET does not expose as such.</summary>
internal static partial class Posix
{
    /// <summary>
    /// rename(2): atomically replaces the file or symlink at <paramref name="to"/> (never following a symlink at
    /// either end). File.Move cannot stand in: it checks its source with a stat that follows links, so it refuses
    /// to move a symlink to a directory, or a dangling one.
    /// </summary>
    public static void Rename(string from, string to)
    {
        if (NativeRename(from, to) != 0)
        {
            throw new IOException($"Could not rename '{from}' to '{to}': {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>
    /// fsync(2) of a directory: makes the renames and creations in it durable (a file's own fsync does not cover the
    /// directory entry that names it).
    /// </summary>
    public static void SyncDirectory(string path)
    {
        // O_RDONLY opens a directory too (O_DIRECTORY's value differs between architectures; it only adds a check).
        var fd = NativeOpen(path, OpenReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Could not open directory '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
        }
        try
        {
            if (NativeFsync(fd) != 0)
            {
                throw new IOException($"Could not sync directory '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            _ = NativeClose(fd);
        }
    }

    private const int OpenReadOnly = 0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int NativeFsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int NativeRename(string from, string to);

    /// <summary>The canonical absolute path with every symlink, '.' and '..' resolved (realpath(3)), or null if it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var resolved = NativeRealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            NativeFree(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void NativeFree(IntPtr pointer);
}
