using AgentSnapshots.Engine.SystemCalls;

namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>
/// The writing half of the portable directory: by path, checking each name for a symlink before it is used. It
/// narrows the window a racer has but cannot close it as directory handles do; systems without them get this.
/// </summary>
internal sealed partial class PortableDirectory : IWritableDirectory
{
    private const UnixFileMode ExecuteBits = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Opens the workspace root for a restore.</summary>
    public static PortableDirectory OpenRootForWriting(string root) => OpenRoot(root);

    public IWritableDirectory OpenOrCreateDirectory(string name)
    {
        var path = Path.Join(_path, name);
        if (IsSymlink(path) || File.Exists(path)) throw new DirectoryNotFoundException($"'{path}' is not a directory.");
        Directory.CreateDirectory(path);
        return new PortableDirectory(path);
    }

    public Stream CreateFile(string name, bool executable)
    {
        var path = Path.Join(_path, name);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        if (executable) SetExecutable(name, true);
        return stream;
    }

    public void CreateSymlink(string name, string target) => File.CreateSymbolicLink(Path.Join(_path, name), target);

    // rename(2) by path: File.Move checks its source with a stat that follows links, so it refuses dangling symlinks.
    public void Rename(string from, string to) => Posix.Rename(Path.Join(_path, from), Path.Join(_path, to));

    public bool DeleteFile(string name)
    {
        var path = Path.Join(_path, name);
        if (!File.Exists(path) && !IsSymlink(path)) return false;
        File.Delete(path);
        return true;
    }

    public bool TryRemoveEmptyDirectory(string name)
    {
        var path = Path.Join(_path, name);
        // RawDirectory also sees names .NET cannot (not valid UTF-8), so a directory holding only those is kept.
        if (IsSymlink(path) || !Directory.Exists(path) || !RawDirectory.IsEmpty(path)) return false;
        Directory.Delete(path);
        return true;
    }

    public void SetExecutable(string name, bool executable)
    {
        var path = Path.Join(_path, name);
        if (IsSymlink(path)) throw new IOException($"'{path}' is no longer a regular file.");
        var current = File.GetUnixFileMode(path);
        // chmod +x: execute for whoever may read.
        var readersExecute = (current.HasFlag(UnixFileMode.GroupRead) ? UnixFileMode.GroupExecute : 0) |
            (current.HasFlag(UnixFileMode.OtherRead) ? UnixFileMode.OtherExecute : 0);
        var wanted = executable ? current | UnixFileMode.UserExecute | readersExecute : current & ~ExecuteBits;
        if (wanted != current) File.SetUnixFileMode(path, wanted);
    }

    /// <summary>Whether the path itself is a symlink (dangling or not), without following it.</summary>
    private static bool IsSymlink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
