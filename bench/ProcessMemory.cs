using System.Globalization;

namespace AgentSnapshots.Bench;

/// <summary>Resident memory of a process from /proc: current (VmRSS) and peak (VmHWM), with the peak resettable per phase; and this process's live managed heap.</summary>
internal static class ProcessMemory
{
    public static long ResidentBytes(int pid) => ReadKiB(pid, "VmRSS:") * 1024;

    public static long PeakBytes(int pid) => ReadKiB(pid, "VmHWM:") * 1024;

    /// <summary>Resets the peak to the current resident size (Linux clear_refs 5), so the next PeakBytes covers one phase.</summary>
    public static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    /// <summary>This process's managed heap after a full, compacting collection: what live objects hold.</summary>
    public static long ManagedBytesAfterCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long ReadKiB(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"/proc/{pid}/status has no {key}");
    }
}
