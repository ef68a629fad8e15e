using System.Globalization;
using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Diff;

/// <summary>A real object store, trees built from in-memory files, and git's own numstat as the reference.</summary>
public sealed class DiffFixture : IDisposable
{
    private readonly TempDirectory _dir = new("as-diff");

    public DiffFixture()
    {
        Store = ObjectStore.Open(_dir.Combine("store"));
    }

    public ObjectStore Store { get; }

    public string WorkDir => _dir.Path;

    public GitObjectId Blob(byte[] content) => Store.WriteBlob(new MemoryStream(content), content.Length);

    public GitObjectId Blob(string content) => Blob(Encoding.UTF8.GetBytes(content));

    /// <summary>Writes a tree of '/'-separated paths (nested trees as needed).</summary>
    public GitObjectId Tree(IEnumerable<(string Path, EntryMode Mode, GitObjectId Id)> files)
    {
        var root = new Node();
        foreach (var (path, mode, id) in files)
        {
            var parts = path.Split('/');
            var node = root;
            foreach (var dir in parts[..^1])
            {
                if (!node.Dirs.TryGetValue(dir, out var child)) node.Dirs[dir] = child = new Node();
                node = child;
            }
            node.Files.Add(new TreeEntry(parts[^1], mode, id));
        }
        return Write(root);
    }

    public GitObjectId Tree(IReadOnlyDictionary<string, string> files) =>
        Tree(files.Select(kv => (kv.Key, EntryMode.RegularFile, Blob(kv.Value))));

    public GitObjectId Tree(IReadOnlyDictionary<string, byte[]> files) =>
        Tree(files.Select(kv => (kv.Key, EntryMode.RegularFile, Blob(kv.Value))));

    private GitObjectId Write(Node node)
    {
        var entries = new List<TreeEntry>(node.Files);
        foreach (var (name, child) in node.Dirs) entries.Add(new TreeEntry(name, EntryMode.Directory, Write(child)));
        return Store.WriteTree(entries);
    }

    /// <summary>git diff --minimal --numstat --no-renames: path → (additions, deletions), or null for a binary file.</summary>
    public Dictionary<string, (long Add, long Del)?> GitNumstat(GitObjectId from, GitObjectId to)
    {
        var output = Git.Run(WorkDir, "--git-dir", Store.GitDir, "-c", "core.quotepath=off", "diff", "--minimal", "--numstat", "--no-renames", "-z", from.ToHex(), to.ToHex());
        var result = new Dictionary<string, (long, long)?>(StringComparer.Ordinal);
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = record.Split('\t', 3);
            result[parts[2]] = parts[0] == "-"
                ? null
                : (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        return result;
    }

    public string GitPatch(GitObjectId from, GitObjectId to, string path) =>
        Git.Run(WorkDir, "--git-dir", Store.GitDir, "diff", "--minimal", "--no-renames", from.ToHex(), to.ToHex(), "--", path);

    public TreeDiffSummary Summarize(GitObjectId from, GitObjectId to, SummaryOptions? options = null) =>
        new DiffSummaryBuilder(Store, options ?? new SummaryOptions()).Summarize(from, to, TestContext.Current.CancellationToken);

    /// <summary>Asserts every listed file against git: exact → equal; not exact → upper bounds with the exact difference.</summary>
    public void AssertMatchesGit(GitObjectId from, GitObjectId to, TreeDiffSummary summary, bool requireExact)
    {
        var git = GitNumstat(from, to);
        Assert.Equal(git.Count, summary.FileCount);
        foreach (var f in summary.Files)
        {
            Assert.True(git.TryGetValue(f.File, out var expected), $"git does not list {f.File}");
            if (expected is not { } e)
            {
                Assert.True(f.Binary, $"{f.File}: git says binary");
                Assert.Equal((0L, 0L), (f.Additions, f.Deletions));
                continue;
            }
            Assert.False(f.Binary, $"{f.File}: git says text");
            if (requireExact) Assert.True(f.Exact, $"{f.File}: expected exact (git {e.Add} {e.Del}, ours {f.Additions} {f.Deletions})");
            if (f.Exact)
            {
                Assert.True((e.Add, e.Del) == (f.Additions, f.Deletions), $"{f.File}: git {e.Add} {e.Del}, ours {f.Additions} {f.Deletions}");
            }
            else
            {
                Assert.True(f.Additions >= e.Add && f.Deletions >= e.Del, $"{f.File}: bounds {f.Additions} {f.Deletions} below git {e.Add} {e.Del}");
                Assert.Equal(e.Add - e.Del, f.Additions - f.Deletions);
            }
        }
        if (summary.OmittedFiles == 0)
        {
            long add = 0, del = 0;
            foreach (var v in git.Values)
            {
                if (v is { } x)
                {
                    add += x.Add;
                    del += x.Del;
                }
            }
            if (summary.Files.All(f => f.Exact))
            {
                Assert.Equal((add, del), (summary.Additions, summary.Deletions));
            }
        }
    }

    public void Dispose() => _dir.Dispose();

    private sealed class Node
    {
        public Dictionary<string, Node> Dirs { get; } = new(StringComparer.Ordinal);
        public List<TreeEntry> Files { get; } = [];
    }
}
