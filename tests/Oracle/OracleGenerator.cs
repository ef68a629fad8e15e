namespace AgentSnapshots.Tests.Oracle;

/// <summary>
/// Seeded random steps over a sandbox's workspace, of the kinds an agent and its tools make: files created, edited,
/// deleted and moved, directories moved and deleted, a directory replaced by a file and back, executable bits,
/// symlinks, .gitignore files at every level (patterns that ignore and re-include what exists, negations), the
/// repository's info/exclude, same-size edits with the mtime set back, old mtimes, hard links (and writes through
/// ones outside the workspace), edits during a track, restarts.
/// Names come from small pools so that patterns, renames and replacements keep meeting the same paths.
/// </summary>
public sealed class OracleGenerator(string top, OracleLayout layout, Random random, IReadOnlySet<OperationKind>? without = null)
{
    private const string Work = "work";
    private const string Outside = "outside";
    private const int MaxFiles = 40;

    private static readonly string[] DirectoryNames = ["a", "b", "c", "build", "tmp", "d1"];
    private static readonly string[] FileNames = ["f1.txt", "f2.txt", "x.log", "keep.log", "tool.sh", "notes.md", "data.bin", "f3"];
    private static readonly string[] LinkTargets = ["a", "../a", "f1.txt", "nowhere", "../../outside", "b/f2.txt", "."];

    /// <summary>Patterns for the workspace's own .gitignore files (and info/exclude of a repository whose top it is).</summary>
    private static readonly string[] Patterns =
    [
        "*.log", "!keep.log", "build/", "/a", "tmp", "**/c/*.md", "f1*", "!f1.txt", "b/*", "!b/keep.log", "*.md", "c/", "!c/", "*", "!*/",
        "!*.txt", "# a comment", "a/**/f2.txt", ".gitignore", "notes.md ", "/*.bin", "d1/**", "!d1/a/", "x.log/", "f?.txt", "[ab]/", "tool.sh",
        "!tool.sh", "*/", "**/tmp/**", "data.bin", "f3", "!/a",
    ];

    /// <summary>Patterns for ignore sources above the workspace (the enclosing repository's .gitignore and info/exclude): none ignores the workspace itself.</summary>
    private static readonly string[] AbovePatterns =
    [
        "*.log", "!keep.log", "build/", "tmp", "f1*", "!f1.txt", "**/c/*.md", "work/a/", "work/*.md", "/work/b", "*.bin", "!work/b/keep.log",
        "work/**/f2.txt", "c/", "!work/c/",
    ];

    private int _outsideNames;

    /// <summary>The entries of one step, ending with a track; each is applied before the next is chosen (a lazy sequence).</summary>
    public IEnumerable<OracleEntry> Step()
    {
        var special = random.Next(100);
        if (special < 2 && Allowed(OperationKind.Restart)) yield return new Restart();
        var operations = random.Next(10) switch { < 7 => 1, < 9 => 2, _ => 3 };
        for (var i = 0; i < operations; i++)
        {
            foreach (var entry in Operation()) yield return entry;
        }
        if (special is >= 2 and < 6 && Allowed(OperationKind.Concurrent)) yield return new TrackWhileEditing(ConcurrentEdits());
        yield return new Track();
    }

    private IEnumerable<OracleEntry> Operation()
    {
        var files = Entries(EntryKind.File);
        var directories = Entries(EntryKind.Directory);
        var choice = random.Next(100);
        if (files.Count > MaxFiles && choice < 60) choice = random.Next(2) == 0 ? 40 : 47;
        switch (choice)
        {
            case < 25:
                yield return new WriteFile(Join(NewDirectory(directories), Pick(FileNames)), Text(random.Next(0, 60)));
                break;
            case < 35 when files.Count > 0 && Allowed(OperationKind.Modify):
                yield return new WriteFile(Pick(files), Text(random.Next(0, 60)));
                break;
            case < 41 when files.Count > 0 && Allowed(OperationKind.KeepTime):
                yield return SameSizeEdit(Pick(files));
                break;
            case < 45 when files.Count > 0 && Allowed(OperationKind.SetTime):
                yield return new SetTime(Pick(files), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(0, 100_000)));
                break;
            case < 50 when files.Count > 0 && Allowed(OperationKind.Delete):
                yield return new Delete(Pick(files));
                break;
            case < 53 when directories.Count > 0 && Allowed(OperationKind.Delete):
                yield return new Delete(Pick(directories));
                break;
            case < 59 when files.Count > 0 && Allowed(OperationKind.Move):
                yield return new Move(Pick(files), random.Next(6) == 0 ? OutsideName() : Join(NewDirectory(directories), Pick(FileNames)));
                break;
            case < 63 when directories.Count > 0 && Allowed(OperationKind.Move):
                yield return new Move(Pick(directories), random.Next(6) == 0 ? OutsideName() : Join(NewDirectory(directories), Pick(DirectoryNames)));
                break;
            case < 64 when Allowed(OperationKind.Move):
                foreach (var entry in MoveIn(directories)) yield return entry;
                break;
            case < 66 when directories.Count > 0 && Allowed(OperationKind.Replace):
            {
                var directory = Pick(directories);
                yield return new Delete(directory);
                yield return new WriteFile(directory, Text(random.Next(0, 30)));
                break;
            }
            case < 69 when files.Count > 0 && Allowed(OperationKind.Replace):
            {
                var file = Pick(files);
                var size = (int)new FileInfo(SandboxPath.Full(top, file)).Length;
                yield return new Delete(file);
                // A file replaced by a directory, or by a symlink whose target is as long as the file was (same lstat size, another type).
                if (random.Next(3) > 0) yield return new WriteFile(Join(file, Pick(FileNames)), Text(random.Next(0, 30)));
                else yield return new CreateSymlink(file, Text(Math.Max(1, size)).Replace('\n', 'x'));
                break;
            }
            case < 74 when files.Count > 0 && Allowed(OperationKind.Chmod):
                yield return new SetExecutable(Pick(files), random.Next(2) == 0);
                break;
            case < 79 when Allowed(OperationKind.Symlink):
            {
                var links = Entries(EntryKind.Symlink);
                if (links.Count > 0 && random.Next(3) == 0) yield return new Delete(Pick(links));
                else yield return new CreateSymlink(Join(NewDirectory(directories), Pick(FileNames.Concat(DirectoryNames).ToList()) + (random.Next(2) == 0 ? ".lnk" : "")), Pick(LinkTargets));
                break;
            }
            case < 92 when Allowed(OperationKind.Gitignore) || Allowed(OperationKind.RootGitignore):
                yield return IgnoreEdit(directories);
                break;
            case < 96 when layout != OracleLayout.NoRepository && Allowed(OperationKind.Exclude):
            {
                var exclude = layout == OracleLayout.RepositoryTop ? "work/.git/info/exclude" : ".git/info/exclude";
                yield return new WriteFile(exclude, EditedPatterns(exclude, layout == OracleLayout.RepositoryTop ? Patterns : AbovePatterns));
                break;
            }
            case < 99 when files.Count > 0 && Allowed(OperationKind.Link):
                yield return LinkEdit(files, directories);
                break;
            default:
                yield return new WriteFile(Join(NewDirectory(directories), Pick(FileNames)), Text(random.Next(0, 60)));
                break;
        }
    }

    /// <summary>
    /// A hard link to a workspace file (beside it, or in the sandbox's <c>outside</c> directory), or a write through
    /// one made outside: a write under a name no watched directory holds raises no event for the workspace's name.
    /// </summary>
    private OracleEntry LinkEdit(List<string> files, List<string> directories)
    {
        var outside = SandboxPath.Full(top, Outside);
        var outsideFiles = Directory.Exists(outside)
            ? Directory.EnumerateFiles(outside).Select(e => Join(Outside, Path.GetFileName(e))).Order(StringComparer.Ordinal).ToList()
            : [];
        if (outsideFiles.Count > 0 && random.Next(2) == 0) return new WriteFile(Pick(outsideFiles), Text(random.Next(0, 60)));
        var to = random.Next(3) == 0 ? OutsideName() : Join(NewDirectory(directories), Pick(FileNames));
        return new HardLink(to, Pick(files));
    }

    /// <summary>A free name in the sandbox's <c>outside</c> directory (beside the workspace): a move there is a move out of the workspace.</summary>
    private string OutsideName() => Join(Outside, "o" + (++_outsideNames).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Something moved into the workspace from beside it: what was moved out before, or a small tree made outside (whose files had no events in the workspace).</summary>
    private IEnumerable<OracleEntry> MoveIn(List<string> directories)
    {
        var outside = SandboxPath.Full(top, Outside);
        var there = Directory.Exists(outside) ? Directory.EnumerateFileSystemEntries(outside).Select(e => Join(Outside, Path.GetFileName(e))).Order(StringComparer.Ordinal).ToList() : [];
        var from = there.Count > 0 && random.Next(2) == 0 ? Pick(there) : OutsideName();
        if (!there.Contains(from))
        {
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                var inner = random.Next(2) == 0 ? Pick(FileNames) : Join(Pick(DirectoryNames), Pick(FileNames));
                yield return new WriteFile(Join(from, inner), Text(random.Next(0, 40)));
            }
            if (random.Next(3) == 0) yield return new WriteFile(Join(from, ".gitignore"), Pick(Patterns) + "\n");
        }
        yield return new Move(from, Join(NewDirectory(directories), Pick(DirectoryNames.Concat(FileNames).ToList())));
    }

    /// <summary>The same number of bytes, different content: an ignore file's lines in another order (order matters with negations), other files' letters.</summary>
    private WriteKeepingTime SameSizeEdit(string file)
    {
        var text = File.ReadAllText(SandboxPath.Full(top, file));
        if (Path.GetFileName(file) == ".gitignore" || file.EndsWith("info/exclude", StringComparison.Ordinal))
        {
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).OrderBy(_ => random.Next()).ToList();
            return new WriteKeepingTime(file, string.Join('\n', lines) + (lines.Count > 0 ? "\n" : ""));
        }
        return new WriteKeepingTime(file, Text(text.Length));
    }

    private WriteFile IgnoreEdit(List<string> directories)
    {
        var above = layout == OracleLayout.InsideRepository && random.Next(5) == 0;
        var directory = above ? "" : random.Next(3) == 0 || directories.Count == 0 ? Work : Pick(directories);
        if (directory is "" or Work && !Allowed(OperationKind.RootGitignore)) directory = directories.Count == 0 ? Work + "/a" : Pick(directories);
        else if (directory is not ("" or Work) && !Allowed(OperationKind.Gitignore)) directory = Work;
        var file = directory.Length == 0 ? ".gitignore" : directory + "/.gitignore";
        return new WriteFile(file, EditedPatterns(file, above ? AbovePatterns : Patterns));
    }

    /// <summary>The file's patterns with one added, removed or replaced (or a fresh short list).</summary>
    private string EditedPatterns(string file, string[] pool)
    {
        var full = SandboxPath.Full(top, file);
        var lines = SandboxPath.KindOf(full) == EntryKind.File ? File.ReadAllLines(full).ToList() : [];
        switch (random.Next(4))
        {
            case 0 when lines.Count > 0:
                lines.RemoveAt(random.Next(lines.Count));
                break;
            case 1 when lines.Count > 0:
                lines[random.Next(lines.Count)] = Pick(pool);
                break;
            case 2:
                lines = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(pool)).ToList();
                break;
            default:
                lines.Insert(random.Next(lines.Count + 1), Pick(pool));
                break;
        }
        return lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
    }

    /// <summary>Writes a thread repeats while a track runs: existing files and new ones, in the same few directories.</summary>
    private List<WriteFile> ConcurrentEdits()
    {
        var directories = Entries(EntryKind.Directory);
        return Enumerable.Range(0, random.Next(1, 6))
            .Select(_ => new WriteFile(Join(NewDirectory(directories), Pick(FileNames)), Text(random.Next(0, 60))))
            .ToList();
    }

    /// <summary>An existing directory of the workspace (or its root), sometimes with a new subdirectory name below it.</summary>
    private string NewDirectory(List<string> directories)
    {
        var directory = random.Next(4) == 0 || directories.Count == 0 ? Work : Pick(directories);
        if (directory.Count(c => c == '/') < 4 && random.Next(3) == 0) directory = Join(directory, Pick(DirectoryNames));
        return directory;
    }

    /// <summary>The workspace's entries of one kind (paths relative to the top), never inside a .git directory.</summary>
    private List<string> Entries(EntryKind kind)
    {
        var found = new List<string>();
        Collect(Work, kind, found);
        return found;
    }

    private void Collect(string directory, EntryKind kind, List<string> found)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(SandboxPath.Full(top, directory)).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(full);
            if (name == ".git") continue;
            var relative = Join(directory, name);
            var entryKind = SandboxPath.KindOf(full);
            if (entryKind == kind) found.Add(relative);
            if (entryKind == EntryKind.Directory) Collect(relative, kind, found);
        }
    }

    private bool Allowed(OperationKind kind) => without is null || !without.Contains(kind);

    private static string Join(string directory, string name) => directory + "/" + name;

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private string Text(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = i % 20 == 19 ? '\n' : (char)('a' + random.Next(26));
        return new string(chars);
    }
}
