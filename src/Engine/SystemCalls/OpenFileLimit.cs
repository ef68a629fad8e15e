using System.Runtime.InteropServices;

namespace AgentSnapshots.Engine.SystemCalls;

/// <summary>The process's soft limit on open file descriptors (<c>RLIMIT_NOFILE</c>, what <c>ulimit -n</c> shows).</summary>
public static partial class OpenFileLimit
{
    /// <summary>The soft limit, or null where there is none to read (Windows, or the call failed); <see cref="int.MaxValue"/> when unlimited.</summary>
    public static int? Soft { get; } = Read();

    private static int? Read()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        // RLIMIT_NOFILE is 7 on Linux and 8 on macOS; struct rlimit is two 64-bit rlim_t on both.
        var resource = OperatingSystem.IsMacOS() ? 8 : 7;
        return GetRlimit(resource, out var limit) == 0 ? (int)Math.Min(limit.Current, int.MaxValue) : null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);
}
