namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>Which directory reader a workspace uses: the handle-based one on Linux, the portable one elsewhere (or when asked for).</summary>
internal static class WorkingDirectory
{
    /// <summary>Opens the workspace root for a snapshot; <paramref name="portable"/> forces the portable reader (tests run both).</summary>
    public static IWorkingDirectory OpenRoot(string root, bool portable) =>
        !portable && OperatingSystem.IsLinux() ? LinuxDirectory.OpenRoot(root) : PortableDirectory.OpenRoot(root);

    /// <summary>Opens the workspace root for a restore; <paramref name="portable"/> forces the portable writer (tests run both).</summary>
    public static IWritableDirectory OpenRootForWriting(string root, bool portable) =>
        !portable && OperatingSystem.IsLinux() ? LinuxDirectory.OpenRootForWriting(root) : PortableDirectory.OpenRootForWriting(root);
}
