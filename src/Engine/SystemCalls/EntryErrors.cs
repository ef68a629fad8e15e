namespace AgentSnapshots.Engine.SystemCalls;

/// <summary>
/// Tells an error of one entry (unreadable, gone, a name too long) from the system running out of something for the
/// whole process (descriptors, memory). A snapshot skips an entry for the first and reports it; the second says
/// nothing about the entry, so skipping would silently leave a readable file (or an ignore file's rules) out of the
/// snapshot: it fails the snapshot instead, and the next one reads the entry.
/// </summary>
internal static class EntryErrors
{
    /// <summary>An error of the entry itself: the caller may skip the entry and say so.</summary>
    public static bool OfTheEntry(Exception e) => e is UnauthorizedAccessException || (e is IOException && !Exhausted(e));

    /// <summary>The process or the system ran out of descriptors or memory (errno as .NET and LinuxCalls report it).</summary>
    public static bool Exhausted(Exception e) => e is IOException { HResult: LinuxCalls.ENOMEM or LinuxCalls.ENFILE or LinuxCalls.EMFILE };
}
