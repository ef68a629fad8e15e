using System.Globalization;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// Random edits of a working tree, of the kinds an agent and its tools make: files created, edited, deleted and
/// moved, directories renamed and deleted, a directory replaced by a file and back, the executable bit flipped,
/// .gitignore files edited (in the root and below), symlinks made and removed. Seeded, so a failure replays.
/// </summary>
internal sealed class RandomEdits(string root, Random random)
{
    private static readonly string[] IgnorePatterns = ["*.log", "*.tmp", "gen/", "n1*", "!keep.log", "deep/"];
    private int _names;
    private string? _secondWrite;

    /// <summary>A first tree: nested directories, ignored ones with files in them, a sub-.gitignore, an executable, a symlink.</summary>
    public void Seed()
    {
        File.WriteAllText(Path.Combine(root, ".gitignore"), "build/\n*.tmp\n");
        foreach (var dir in new[] { "src", "src/lib", "src/lib/deep", "docs", "build/out", "gen" })
        {
            for (var i = 0; i < 4; i++) Write(Path.Combine(dir, NewName(i % 3 == 0 ? ".log" : ".txt")), Content(40));
        }
        Write("docs/.gitignore", "*.log\n");
        Write("docs/notes.tmp", "ignored\n");
        var tool = Write("src/tool.sh", "#!/bin/sh\n");
        File.SetUnixFileMode(tool, File.GetUnixFileMode(tool) | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(root, "src", "link"), "lib");
    }

    /// <summary>After the last edit: a file to write a second time within the same timestamp tick, once the first write is snapshotted.</summary>
    public bool WantsSecondEditWithinTheSameTick(out string path)
    {
        path = _secondWrite ?? "";
        _secondWrite = null;
        return path.Length > 0 && File.Exists(path);
    }

    /// <summary>Makes one random edit and says what it was.</summary>
    public string Next(out bool rootIgnoreChanged)
    {
        rootIgnoreChanged = false;
        switch (random.Next(14))
        {
            case 0:
            case 1:
            {
                var dir = random.Next(4) == 0 ? Path.Combine(Pick(Directories(), root), NewName("")) : Pick(Directories(), root);
                var suffix = random.Next(5) switch { 0 => ".log", 1 => ".tmp", _ => ".txt" };
                return "create " + Write(Path.GetRelativePath(root, Path.Combine(dir, NewName(suffix))), Content(random.Next(0, 200)));
            }
            case 2:
            case 3:
            {
                if (Files() is not { Count: > 0 } files) goto case 0;
                var file = Pick(files, "");
                var sameSize = random.Next(2) == 0;
                File.WriteAllText(file, Content(sameSize ? (int)new FileInfo(file).Length : random.Next(0, 300)));
                return "edit " + file;
            }
            case 4:
            {
                if (Files() is not { Count: > 0 } files) goto case 0;
                var file = Pick(files, "");
                File.WriteAllText(file, Content((int)new FileInfo(file).Length + 1));
                _secondWrite = file;
                return "edit (a second write follows within the tick) " + file;
            }
            case 5:
            {
                if (Files() is not { Count: > 0 } files) goto case 0;
                var file = Pick(files, "");
                File.Delete(file);
                return "delete " + file;
            }
            case 6:
            {
                if (Directories() is not { Count: > 0 } dirs) goto case 0;
                var dir = Pick(dirs, "");
                var into = Pick(Directories().Where(d => !d.StartsWith(dir, StringComparison.Ordinal)).ToList(), root);
                var to = Path.Combine(into, NewName(""));
                Directory.Move(dir, to);
                return $"rename directory {dir} to {to}";
            }
            case 7:
            {
                if (Directories() is not { Count: > 0 } dirs) goto case 0;
                var dir = Pick(dirs, "");
                Directory.Delete(dir, recursive: true);
                File.WriteAllText(dir, Content(20));
                return "replace directory by a file " + dir;
            }
            case 8:
            {
                if (Files() is not { Count: > 0 } files) goto case 0;
                var file = Pick(files, "");
                File.Delete(file);
                for (var i = 0; i < random.Next(1, 4); i++) Write(Path.GetRelativePath(root, Path.Combine(file, NewName(".txt"))), Content(30));
                return "replace file by a directory " + file;
            }
            case 9:
            {
                if (Files() is not { Count: > 0 } files) goto case 0;
                var file = Pick(files, "");
                File.SetUnixFileMode(file, File.GetUnixFileMode(file) ^ UnixFileMode.UserExecute);
                return "chmod u+-x " + file;
            }
            case 10:
            {
                var dir = Pick(Directories(), root);
                var ignore = Path.Combine(dir, ".gitignore");
                var lines = File.Exists(ignore) ? File.ReadAllLines(ignore).ToList() : [];
                if (lines.Count > 0 && random.Next(2) == 0) lines.RemoveAt(random.Next(lines.Count));
                else lines.Add(Pick(IgnorePatterns, ""));
                File.WriteAllLines(ignore, lines);
                rootIgnoreChanged = dir == root;
                return $"edit {ignore}: {string.Join(' ', lines)}";
            }
            case 11:
            {
                if (Files() is not { Count: > 0 } files) goto case 0;
                var file = Pick(files, "");
                var to = Path.Combine(Pick(Directories(), root), NewName(Path.GetExtension(file)));
                File.Move(file, to);
                return $"move {file} to {to}";
            }
            case 12:
            {
                var dir = Pick(Directories(), root);
                var existing = Directory.EnumerateFileSystemEntries(dir).Where(IsSymlink).ToList();
                if (existing.Count > 0 && random.Next(2) == 0)
                {
                    File.Delete(existing[0]);
                    return "remove symlink " + existing[0];
                }
                var link = Path.Combine(dir, NewName(".lnk"));
                File.CreateSymbolicLink(link, random.Next(2) == 0 ? "../elsewhere" : NewName(""));
                return "symlink " + link;
            }
            default:
            {
                if (Directories() is not { Count: > 0 } dirs) goto case 0;
                var dir = Pick(dirs, "");
                Directory.Delete(dir, recursive: true);
                return "delete directory " + dir;
            }
        }
    }

    private string Write(string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private List<string> Files() =>
        Directory.EnumerateFiles(root, "*", SymlinkFreeWalk.Options)
            .Where(f => Path.GetFileName(f) != ".gitignore")
            .Order(StringComparer.Ordinal)
            .ToList();

    private List<string> Directories() =>
        Directory.EnumerateDirectories(root, "*", SymlinkFreeWalk.Options)
            .Order(StringComparer.Ordinal)
            .ToList();

    private static bool IsSymlink(string path) => new FileInfo(path).LinkTarget is not null;

    private T Pick<T>(IReadOnlyList<T> items, T fallback) => items.Count == 0 ? fallback : items[random.Next(items.Count)];

    private string NewName(string suffix) => "n" + (++_names).ToString(CultureInfo.InvariantCulture) + suffix;

    private string Content(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = i % 40 == 39 ? '\n' : (char)('a' + random.Next(26));
        return new string(chars);
    }
}
