using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// Everything the engine writes, read by libgit2 as well as by the git binary (docs/decisions/libgit2sharp.md): loose
/// blobs (stored and compressed), trees of every entry kind, the kept ref's commits (a chain, a kept set, a loose ref
/// over git's packed-refs), and packs: <c>OFS_DELTA</c> chains, a pack consolidated again, <c>REF_DELTA</c> entries
/// copied from a pack git wrote.
/// </summary>
public sealed class Libgit2ReadingTests : IDisposable
{
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    private ObjectStore Store => _ws.Workspace.Store;

    private string GitDir => Store.GitDir;

    private string Git(params string[] args) => Support.Git.Run(_ws.Root, ["--git-dir", GitDir, .. args]);

    /// <summary>Takes a snapshot and checks that it is the tree git makes of the same directory.</summary>
    private string Snapshot()
    {
        var tree = _ws.Workspace.Snapshot().Tree.ToHex();
        Assert.Equal(Support.Git.WriteTreeOf(_ws.Root), tree);
        return tree;
    }

    private string[] Packs() => Directory.GetFiles(Path.Combine(GitDir, "objects", "pack"), "*.pack");

    private string LooseFile(string id) => Path.Combine(GitDir, "objects", id[..2], id[2..]);

    /// <summary>The type codes of a pack's entries, read by the engine's own pack reader.</summary>
    private static HashSet<int> EntryTypes(string packPath)
    {
        var entries = PackEntries.Read(PackFile.Open(Path.ChangeExtension(packPath, ".idx")));
        return Enumerable.Range(0, entries.Count).Select(i => entries.Pack.ReadHeader(entries.OffsetAt(i)).TypeCode).ToHashSet();
    }

    /// <summary>
    /// A log as turn <paramref name="turn"/> leaves it: the same start, 200 more lines each turn (deltas of each other),
    /// each line with a scrambled request id so that a few turns' loose versions pass the size a collection packs at.
    /// </summary>
    private static string Log(int turn) =>
        string.Concat(Enumerable.Range(0, 40_000 + turn * 200).Select(i => $"2026-12-07T11:00:{i % 60:D2}Z INFO request {unchecked((uint)i * 2654435761u):x8} served in {i % 97} ms\n"));

    /// <summary>Snapshots turns <paramref name="first"/> to <paramref name="last"/> of a growing log and a changing small file.</summary>
    private List<GitObjectId> Turns(int first, int last)
    {
        var trees = new List<GitObjectId>();
        for (var turn = first; turn <= last; turn++)
        {
            _ws.Write("logs/service.log", Log(turn));
            _ws.Write("src/main.txt", $"turn {turn}\n");
            trees.Add(GitObjectId.Parse(Snapshot()));
        }
        return trees;
    }

    /// <summary>Keeps exactly <paramref name="trees"/> and collects; the store is then one pack (not <paramref name="replacing"/>), returned.</summary>
    private string CollectIntoOnePack(List<GitObjectId> trees, string? replacing)
    {
        new SnapshotRefs(Store).KeepExactly(trees);
        StoreCollector.Collect(Store, trees, TimeSpan.Zero);
        var pack = Assert.Single(Packs());
        Assert.NotEqual(replacing, pack);
        return pack;
    }

    [Fact]
    public void Loose_blobs_trees_and_the_kept_chain_of_commits_read_by_libgit2_as_by_git()
    {
        var empty = Snapshot();
        var small = _ws.Write("a.txt", "small enough to be stored uncompressed\n");
        var bigText = string.Concat(Enumerable.Range(0, 5_000).Select(i => $"line {i} of a file too large for one stored block\n"));
        var large = _ws.Write("a/big.txt", bigText);
        _ws.Write("a-b/deep/deeper/leaf.cs", "class Leaf { }\n");
        _ws.Write("docs/naïve café notes.md", "# notes\n");
        _ws.Write("empty", "");
        Directory.CreateDirectory(_ws.Path("bin"));
        File.WriteAllBytes(_ws.Path("bin/data.bin"), [0, 1, 2, 0, 255, 254, 0, 10, 13, 0]);
        File.SetUnixFileMode(_ws.Write("tool.sh", "#!/bin/sh\necho tool\n"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(_ws.Path("link-to-a"), "a.txt");
        File.CreateSymbolicLink(_ws.Path("a/dangling"), "../nowhere");
        var full = Snapshot();
        var smallId = Git("hash-object", small).Trim();
        var largeId = Git("hash-object", large).Trim();
        File.WriteAllText(large, "the big file, now short\n");
        File.Delete(small);
        File.Delete(_ws.Path("link-to-a"));
        var changed = Snapshot();

        Assert.Empty(Packs());
        // The small file's object is one stored (uncompressed) zlib block, the large one's compressed.
        Assert.Equal([0x78, 0x01, 0x01], File.ReadAllBytes(LooseFile(smallId))[..3]);
        Assert.True(new FileInfo(LooseFile(largeId)).Length * 4 < bigText.Length, "the large file's object is compressed");
        var census = Libgit2Reader.ReadsEveryObjectAsGitDoes(GitDir);
        // 9 files of the full tree (2 of them links) and the changed big file; the empty tree, the full one's 7 and
        // the 2 that changed (root and a/); one commit a snapshot.
        Assert.Equal(new Libgit2Reader.Census(Blobs: 10, Trees: 10, Commits: 3), census);
        Assert.Equal([changed, full, empty], Libgit2Reader.TreesFromRef(GitDir, SnapshotRefs.KeptRef));

        // The ref git moved into packed-refs, then overwritten by the engine's loose ref: libgit2 takes the loose one.
        Git("pack-refs", "--all");
        _ws.Write("after-pack-refs.txt", "one more\n");
        var after = Snapshot();
        Assert.Equal([after, changed, full, empty], Libgit2Reader.TreesFromRef(GitDir, SnapshotRefs.KeptRef));
        Libgit2Reader.ReadsEveryObjectAsGitDoes(GitDir);
    }

    [Fact]
    public void Packs_of_ofs_deltas_a_kept_set_and_a_pack_consolidated_again_read_by_libgit2_as_by_git()
    {
        var trees = Turns(1, 4);
        var first = CollectIntoOnePack(trees, replacing: null);
        Assert.Contains(PackEntryHeader.OfsDelta, EntryTypes(first));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(GitDir, "objects"), "??").SelectMany(Directory.EnumerateFiles));
        var census = Libgit2Reader.ReadsEveryObjectAsGitDoes(GitDir);
        Assert.Equal(1, census.Commits);
        Assert.Equal(trees.Select(t => t.ToHex()).Order(StringComparer.Ordinal), Libgit2Reader.EntryNamesAtRef(GitDir, SnapshotRefs.KeptRef));

        trees.AddRange(Turns(5, 8));
        var merged = CollectIntoOnePack(trees, replacing: first);
        Assert.Contains(PackEntryHeader.OfsDelta, EntryTypes(merged));
        Libgit2Reader.ReadsEveryObjectAsGitDoes(GitDir);
        Assert.Equal(trees.Select(t => t.ToHex()).Order(StringComparer.Ordinal), Libgit2Reader.EntryNamesAtRef(GitDir, SnapshotRefs.KeptRef));
    }

    [Fact]
    public void Ref_deltas_copied_from_a_pack_git_wrote_read_by_libgit2_as_by_git()
    {
        var trees = Turns(1, 3);
        // git writes its deltas by base id instead of by offset with this setting (as old gits and some tools do).
        Git("-c", "repack.useDeltaBaseOffset=false", "repack", "-a", "-d", "-q");
        var gits = Assert.Single(Packs());
        Assert.Contains(PackEntryHeader.RefDelta, EntryTypes(gits));

        trees.AddRange(Turns(4, 6));
        var ours = CollectIntoOnePack(trees, replacing: gits);
        Assert.Contains(PackEntryHeader.RefDelta, EntryTypes(ours));
        Libgit2Reader.ReadsEveryObjectAsGitDoes(GitDir);
    }
}
