using System.Runtime.InteropServices;

namespace AgentSnapshots.Engine;

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

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int NativeRename(string from, string to);
}
