using System.Runtime.InteropServices;

namespace AgentSnapshots.Engine.SystemCalls;

/// <summary>The CPU time the calling thread has used (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)): what a verification costs the silo, whatever the machine's load.</summary>
internal static unsafe partial class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>The calling thread's CPU time so far; zero where the system cannot tell.</summary>
    public static TimeSpan Now()
    {
        if (!OperatingSystem.IsLinux()) return TimeSpan.Zero;
        TimeSpec time;
        if (ClockGetTime(ClockThreadCpuTimeId, &time) != 0) return TimeSpan.Zero;
        return TimeSpan.FromTicks(time.Seconds * TimeSpan.TicksPerSecond + time.Nanoseconds / 100);
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);
}
