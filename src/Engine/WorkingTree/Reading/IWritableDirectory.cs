namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>
/// A working-tree directory opened for a restore: every change goes through it, relative to it, from the workspace
/// root down. On Linux it is a directory handle opened with O_NOFOLLOW|O_DIRECTORY relative to its parent's handle,
/// and files are created, renamed, deleted and chmod'ed with the *at calls on that handle (never following a
/// symlink at the final name either), so a directory swapped for a symlink while a restore runs can never lead a
/// write or a delete outside the workspace. Elsewhere the portable, path-based directory stands in.
/// Errors are those of <see cref="IWorkingDirectory"/>.
/// </summary>
internal interface IWritableDirectory : IWorkingDirectory
{
    /// <summary>Opens subdirectory <paramref name="name"/> for writing, creating it if absent; a symlink or a file there is refused.</summary>
    IWritableDirectory OpenOrCreateDirectory(string name);

    /// <summary>Creates file <paramref name="name"/>, which must not exist, for writing; executable files get the execute bits the umask allows.</summary>
    Stream CreateFile(string name, bool executable);

    /// <summary>Creates symlink <paramref name="name"/> (which must not exist) holding <paramref name="target"/>.</summary>
    void CreateSymlink(string name, string target);

    /// <summary>Renames <paramref name="from"/> over <paramref name="to"/> in this directory, atomically replacing a file or symlink there.</summary>
    void Rename(string from, string to);

    /// <summary>Deletes the file or symlink <paramref name="name"/> (never what a symlink points to); false if nothing is there or a directory is.</summary>
    bool DeleteFile(string name);

    /// <summary>Removes subdirectory <paramref name="name"/> if it is empty; false if it holds anything, is gone, or is not a directory.</summary>
    bool TryRemoveEmptyDirectory(string name);

    /// <summary>Sets or clears the execute bits of regular file <paramref name="name"/> (chmod +x / -x), never following a symlink.</summary>
    void SetExecutable(string name, bool executable);
}
