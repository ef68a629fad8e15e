namespace AgentSnapshots.Bench;

/// <summary>The inotify watches a process holds: the "inotify wd:" lines in the fdinfo of its inotify descriptors.</summary>
internal static class InotifyWatches
{
    public static int Count(int pid)
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget != "anon_inode:inotify") continue;
                count += File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}").Count(l => l.StartsWith("inotify wd:", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        return count;
    }
}
