namespace AgentSnapshots.Tests.Support;

/// <summary>
/// Everything on disk under a directory, as the kernel sees it (through find, so names .NET cannot spell count
/// too): every entry's type, mode, size, mtime and link target, and every file's content hash. Two equal
/// fingerprints mean nothing was written, deleted, renamed or chmodded there.
/// </summary>
public static class TreeFingerprint
{
    public static string Of(string directory) =>
        Shell.Run(directory,
            "{ find . -printf '%y %m %s %T@ %p -> %l\\n'; find . -type f -exec sha1sum {} +; } | LC_ALL=C sort");
}
