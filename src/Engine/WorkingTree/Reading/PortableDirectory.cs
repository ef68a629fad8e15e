using System.Text;

namespace AgentSnapshots.Engine.WorkingTree.Reading;

/// <summary>
/// A working-tree directory read through .NET's own file APIs by path: for systems without the Linux reader.
/// .NET spells a name that is not valid UTF-8 with U+FFFD, a name that then opens nothing: such entries are
/// reported as unrepresentable (shown as .NET spells them), never stored. Paths are resolved from the root on every
/// access, so this reader does not confine reads by construction the way <see cref="LinuxDirectory"/> does.
/// Its stat is thinner than git's: .NET exposes no status-change time, inode or owner. In the ctime's place it
/// gives the creation time (on macOS and Windows a file's birth time: a file replaced by another shows, and one
/// created in the racy window is racy; .NET on Linux makes it up from the mtime and ctime, the older, which adds
/// nothing), and 0 for the identity. So an edit that keeps the size and sets the mtime back is not seen by this
/// reader (nor, on Linux, such a file renamed over another), as git does not see it with
/// <c>core.trustctime=false</c>; every other change moves the size, the mtime or the execute bit.
/// </summary>
internal sealed partial class PortableDirectory : IWorkingDirectory
{
    private static readonly EnumerationOptions ListOptions = new() { AttributesToSkip = 0, IgnoreInaccessible = false, MatchType = MatchType.Simple };

    private readonly string _path;
    private Dictionary<string, FileSystemInfo>? _listed;

    private PortableDirectory(string path) => _path = path;

    public string? WatchPath => null;

    public long FileSystemType => 0;

    public static PortableDirectory OpenRoot(string root) =>
        Directory.Exists(root) ? new PortableDirectory(root) : throw new DirectoryNotFoundException($"Cannot open '{root}'.");

    public void ReadEntries(List<DirectoryEntry> entries, List<UnrepresentableEntry> unrepresentable, DirectoryState? known = null)
    {
        _listed = new Dictionary<string, FileSystemInfo>(StringComparer.Ordinal);
        foreach (var info in new DirectoryInfo(_path).EnumerateFileSystemInfos("*", ListOptions))
        {
            var name = info.Name;
            if (name.Contains('\uFFFD', StringComparison.Ordinal) && !ExistsNoFollow(Path.Join(_path, name)))
            {
                unrepresentable.Add(new UnrepresentableEntry(name, info is DirectoryInfo));
                continue;
            }
            _listed[name] = info;
            entries.Add(new DirectoryEntry(name, KindOf(info)));
        }
    }

    public bool TryStat(string name, out EntryStat stat)
    {
        // The listing's stat serves the first look at a name; a second look (a file that changed while read) stats afresh.
        FileSystemInfo info = _listed is not null && _listed.Remove(name, out var listed) ? listed : Fresh(Path.Join(_path, name));
        if (!info.Exists && info.LinkTarget is null)
        {
            stat = default;
            return false;
        }
        var kind = KindOf(info);
        var size = kind == EntryKind.File ? ((FileInfo)info).Length : kind == EntryKind.Symlink ? Encoding.UTF8.GetByteCount(info.LinkTarget!) : 0;
        stat = new EntryStat(kind, size, ToNanoseconds(info.LastWriteTimeUtc), ToNanoseconds(info.CreationTimeUtc),
            (info.UnixFileMode & UnixFileMode.UserExecute) != 0, 0, 0, 0, 0);
        return true;
    }

    public EntryStat StatSelf() => new(EntryKind.Directory, 0, ToNanoseconds(Directory.GetLastWriteTimeUtc(_path)), 0, false, 0, 0, 0, 0);

    public IWorkingDirectory OpenDirectory(string name)
    {
        // Not checked for existence here: a path too long to stat is reported by the listing that fails on it.
        var path = Path.Join(_path, name);
        if (new FileInfo(path).LinkTarget is not null)
        {
            throw new DirectoryNotFoundException($"'{path}' is no longer a directory.");
        }
        return new PortableDirectory(path);
    }

    public Stream OpenFile(string name) =>
        new FileStream(Path.Join(_path, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);

    public byte[] ReadLink(string name) =>
        Encoding.UTF8.GetBytes(new FileInfo(Path.Join(_path, name)).LinkTarget ?? throw new FileNotFoundException($"'{name}' is no longer a symlink."));

    public void Dispose()
    {
    }

    private static FileSystemInfo Fresh(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        return info.Exists || info.LinkTarget is not null || !Directory.Exists(path) ? info : new DirectoryInfo(path);
    }

    private static EntryKind KindOf(FileSystemInfo info) =>
        info.Attributes.HasFlag(FileAttributes.ReparsePoint) && info.LinkTarget is not null ? EntryKind.Symlink
        : info is DirectoryInfo || info.Attributes.HasFlag(FileAttributes.Directory) ? EntryKind.Directory
        : EntryKind.File;

    private static long ToNanoseconds(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>Whether something (a file, directory or a symlink, dangling or not) exists at exactly this path.</summary>
    private static bool ExistsNoFollow(string path) => Path.Exists(path) || IsSymlink(path);
}
