namespace AgentSnapshots.Bench;

/// <summary>The machine's load average (1, 5 and 15 minutes) from /proc: printed beside figures taken on a shared machine.</summary>
internal static class LoadAverage
{
    public static string Now() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>The one-minute figure alone.</summary>
    public static string LastMinute() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
