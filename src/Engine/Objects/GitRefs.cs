using System.Text;
using AgentSnapshots.Engine.SystemCalls;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// The refs of a store as git keeps them: one file per ref under <c>refs/</c> holding an id, or a line of
/// <c>packed-refs</c> (where <c>git gc</c> moves them); a ref file overrides a packed line of the same name.
/// </summary>
internal static class GitRefs
{
    /// <summary>Every ref that names an object (symbolic refs are skipped), and HEAD if it holds an id itself.</summary>
    public static IEnumerable<(string Name, GitObjectId Id)> All(string gitDir)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var refsDir = Path.Combine(gitDir, "refs");
        if (Directory.Exists(refsDir))
        {
            foreach (var file in Directory.EnumerateFiles(refsDir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                if (file.EndsWith(".lock", StringComparison.Ordinal)) continue;
                var name = Path.GetRelativePath(gitDir, file).Replace(Path.DirectorySeparatorChar, '/');
                if (ReadFile(file) is { } id && seen.Add(name)) yield return (name, id);
            }
        }
        foreach (var (name, id) in Packed(gitDir))
        {
            if (seen.Add(name)) yield return (name, id);
        }
        if (ReadFile(Path.Combine(gitDir, "HEAD")) is { } head) yield return ("HEAD", head);
    }

    /// <summary>The object <paramref name="name"/> (e.g. <c>refs/agentsnapshots/kept</c>) names, or null.</summary>
    public static GitObjectId? Read(string gitDir, string name)
    {
        // A loose ref wins over packed-refs, even one that does not parse (as git has it).
        if (TryReadText(Path.Combine(gitDir, name), out var text)) return Parse(text);
        foreach (var (packedName, id) in Packed(gitDir))
        {
            if (packedName == name) return id;
        }
        return null;
    }

    /// <summary>
    /// Points <paramref name="name"/> at <paramref name="id"/>. With <paramref name="durable"/>, the new value goes to
    /// <c>name.lock</c> (git's lock file, which git never reads as a ref), is synced, and replaces the ref in one
    /// rename, the directory synced after: the ref survives a power cut as well as a killed process. Without it, an
    /// existing ref file is overwritten in place (41 bytes in one sector): a rename per write would free an inode
    /// and a block and allocate new ones every time, the most expensive part of a small track.
    /// </summary>
    public static void Write(string gitDir, string name, GitObjectId id, bool durable)
    {
        var file = Path.Combine(gitDir, name);
        var content = Encoding.ASCII.GetBytes(id.ToHex() + "\n");
        if (!durable && TryOverwrite(file, content)) return;
        var directory = Path.GetDirectoryName(file)!;
        var lockFile = file + ".lock";
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(lockFile, FileMode.Create, FileAccess.Write, FileShare.None);
        }
        catch (DirectoryNotFoundException)
        {
            // The first write of a ref under a new directory (refs/agentsnapshots).
            Directory.CreateDirectory(directory);
            handle = File.OpenHandle(lockFile, FileMode.Create, FileAccess.Write, FileShare.None);
        }
        using (handle)
        {
            RandomAccess.Write(handle, content, 0);
            if (durable) RandomAccess.FlushToDisk(handle);
        }
        File.Move(lockFile, file, overwrite: true);
        if (durable) Posix.SyncDirectory(directory);
    }

    /// <summary>Overwrites ref file <paramref name="file"/> if it exists and is as long as <paramref name="content"/>; false otherwise.</summary>
    private static bool TryOverwrite(string file, byte[] content)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(file, FileMode.Open, FileAccess.Write, FileShare.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        using (handle)
        {
            if (RandomAccess.GetLength(handle) != content.Length) return false;
            RandomAccess.Write(handle, content, 0);
            return true;
        }
    }

    private static GitObjectId? ReadFile(string file) => TryReadText(file, out var text) ? Parse(text) : null;

    private static GitObjectId? Parse(string text) => GitObjectId.TryParse(text.Trim(), out var id) ? id : null;

    /// <summary>The file's text; false if there is no such file.</summary>
    private static bool TryReadText(string file, out string text)
    {
        try
        {
            text = File.ReadAllText(file);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            text = "";
            return false;
        }
    }

    private static IEnumerable<(string Name, GitObjectId Id)> Packed(string gitDir)
    {
        var file = Path.Combine(gitDir, "packed-refs");
        if (!File.Exists(file)) yield break;
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (FileNotFoundException)
        {
            yield break;
        }
        foreach (var line in lines)
        {
            // "<id> <name>", "^<peeled id>" after a tag, "# pack-refs with: ..." first.
            if (line.Length < GitObjectId.HexLength + 2 || line[0] is '#' or '^') continue;
            if (GitObjectId.TryParse(line[..GitObjectId.HexLength], out var id))
            {
                yield return (line[(GitObjectId.HexLength + 1)..], id);
            }
        }
    }
}
