namespace AgentSnapshots.Tests.Remote;

/// <summary>Random edits of a directory as an agent makes them: files written, appended, deleted, renamed, made executable, symlinked, directories added and removed.</summary>
public sealed class RandomEdits(string root, Random random)
{
    private static readonly string[] s_names = ["src", "lib", "docs", "a", "b.txt", "main.c", "notes.md", "data.bin", "x y", "ünï"];

    public void Apply(int count)
    {
        for (var i = 0; i < count; i++) ApplyOne();
    }

    private void ApplyOne()
    {
        // Regular files only (symlinks are made and left alone: appending through one would write its target).
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !new FileInfo(f).Attributes.HasFlag(FileAttributes.ReparsePoint)).ToList();
        switch (random.Next(8))
        {
            case 0 or 1:
                Write(NewPath(), Content());
                break;
            case 2 when files.Count > 0:
                File.AppendAllText(Pick(files), "more " + random.Next() + "\n");
                break;
            case 3 when files.Count > 0:
                File.Delete(Pick(files));
                break;
            case 4 when files.Count > 0:
                var from = Pick(files);
                var to = NewPath();
                if (!File.Exists(to) && !Directory.Exists(to)) File.Move(from, to);
                break;
            case 5 when files.Count > 0:
                var file = Pick(files);
                File.SetUnixFileMode(file, File.GetUnixFileMode(file) ^ UnixFileMode.UserExecute);
                break;
            case 6:
                // Links point nowhere the edits write to, so no path ever passes through one.
                var link = Path.Combine(root, "link-" + random.Next(1000));
                if (!File.Exists(link) && !Directory.Exists(link) && !new FileInfo(link).Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    File.CreateSymbolicLink(link, "target-" + random.Next(100));
                }
                break;
            default:
                var big = new byte[random.Next(70_000, 400_000)];
                random.NextBytes(big);
                var path = NewPath();
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                if (!Directory.Exists(path)) File.WriteAllBytes(path, big);
                break;
        }
    }

    private string Pick(List<string> files) => files[random.Next(files.Count)];

    private string NewPath()
    {
        var depth = random.Next(1, 4);
        var parts = Enumerable.Range(0, depth).Select(_ => s_names[random.Next(s_names.Length)]).ToArray();
        var path = Path.Combine([root, .. parts]);
        // A prefix that is a file cannot hold a directory: keep the path's parent a directory.
        for (var parent = Path.GetDirectoryName(path); parent is not null && parent.Length > root.Length; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent) || (new FileInfo(parent).Attributes.HasFlag(FileAttributes.ReparsePoint) && !Directory.Exists(parent)))
            {
                return Path.Combine(root, "flat-" + random.Next(1000) + ".txt");
            }
        }
        return path;
    }

    private string Content() => string.Join('\n', Enumerable.Range(0, random.Next(0, 40)).Select(i => $"line {i} {random.Next()}")) + "\n";

    private static void Write(string path, string text)
    {
        if (Directory.Exists(path) || (new FileInfo(path).Attributes.HasFlag(FileAttributes.ReparsePoint))) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
