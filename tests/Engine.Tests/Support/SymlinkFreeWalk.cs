namespace AgentSnapshots.Tests.Support;

/// <summary>Enumeration that recurses into real directories only: a symlinked directory is listed as an entry, never descended (it may point outside).</summary>
public static class SymlinkFreeWalk
{
    public static readonly EnumerationOptions Options = new() { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
}
