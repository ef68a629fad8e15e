using System.Globalization;

namespace AgentSnapshots.Bench;

/// <summary>
/// A process's CPU time (user + system, all its threads) from /proc/PID/stat: on a machine others load too, the
/// silo's CPU per operation is the stable figure beside latencies that depend on what else runs.
/// </summary>
internal static class ProcessCpu
{
    public static TimeSpan Used(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        // USER_HZ is 100 on Linux.
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>The line the runs print: CPU time per operation over a phase.</summary>
    public static string PerOperation(TimeSpan used, long operations, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"silo CPU {used.TotalMilliseconds / Math.Max(1, operations):F2} ms per operation ({used.TotalSeconds:F1} s over {operations:N0} operations, {used / elapsed:P0} of one core)");
}
