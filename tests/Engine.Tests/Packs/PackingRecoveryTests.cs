using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Packs;

/// <summary>
/// What a collection killed part way leaves, and how the next one finishes: the states in between are the store before
/// the collection plus some of what it wrote (temporary files, a pack without its index, the new pack beside the old
/// packs and loose objects it replaces). Each is readable, and the next collection leaves one clean pack.
/// </summary>
public sealed class PackingRecoveryTests : IDisposable
{
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    private ObjectStore Store => _ws.Workspace.Store;

    private string Objects => Path.Combine(Store.GitDir, "objects");

    private string PackDirectory => Path.Combine(Objects, "pack");

    private string Git(params string[] args) => Support.Git.Run(_ws.Root, ["--git-dir", Store.GitDir, .. args]);

    private List<GitObjectId> Track(int turns, int from = 1)
    {
        var trees = new List<GitObjectId>();
        for (var turn = from; turn < from + turns; turn++)
        {
            _ws.Write("big.txt", string.Concat(Enumerable.Range(0, 100_000 + turn * 100).Select(i => $"row {i:D7} value {(i * 7 + (i % 50 == turn ? turn : 0)) % 1009}\n")));
            _ws.Write($"turn-{turn}.txt", $"turn {turn}\n");
            trees.Add(GitObjectId.Parse(_ws.Workspace.Snapshot().Hash));
        }
        return trees;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private void AssertEverySnapshotReads(IEnumerable<GitObjectId> trees)
    {
        Git("fsck", "--strict", "--no-dangling");
        foreach (var tree in trees)
        {
            foreach (var (path, entry) in TreeComparer.Flatten(Store, tree))
            {
                using var blob = Store.OpenBlob(entry.Id);
                Assert.Equal(entry.Id.ToHex(), BareRepository.BlobIdOf(blob, blob.Length));
                Assert.False(string.IsNullOrEmpty(path));
            }
        }
    }

    [Fact]
    public void A_collection_killed_between_placing_its_pack_and_deleting_what_it_replaced_is_finished_by_the_next()
    {
        var trees = Track(3);
        StoreCollector.Collect(Store, trees, trees, TimeSpan.Zero);
        trees.AddRange(Track(3, from: 4));
        var before = _ws.TempPath + "/before";
        CopyDirectory(Objects, before);

        StoreCollector.Collect(Store, trees, trees, TimeSpan.Zero);
        var placed = Directory.GetFiles(PackDirectory, "*.pack");
        // The kill came after the new pack's rename and before any deletion: old packs and loose objects are back.
        CopyDirectory(before, Objects);
        Assert.True(Directory.GetFiles(PackDirectory, "*.pack").Length > placed.Length);
        AssertEverySnapshotReads(trees);

        var result = StoreCollector.Collect(Store, trees, trees, TimeSpan.Zero);

        Assert.Equal(placed, Directory.GetFiles(PackDirectory, "*.pack"));
        Assert.Equal(0, result.ObjectsPacked);
        // What is still loose is only what no pack holds (this collection's new ref commit, too few to pack alone).
        var packed = Git("verify-pack", "-v", Path.ChangeExtension(placed[0], ".idx"));
        var loose = Directory.EnumerateDirectories(Objects, "??").SelectMany(d => Directory.EnumerateFiles(d).Select(f => Path.GetFileName(d) + Path.GetFileName(f))).ToList();
        Assert.InRange(loose.Count, 0, 2);
        Assert.All(loose, id => Assert.DoesNotContain(id, packed, StringComparison.Ordinal));
        AssertEverySnapshotReads(trees);
    }

    [Fact]
    public void Leftovers_of_a_killed_pack_write_are_ignored_then_removed_once_older_than_the_grace_period()
    {
        var trees = Track(3);
        StoreCollector.Collect(Store, trees, trees, TimeSpan.Zero);
        var pack = Directory.GetFiles(PackDirectory, "*.pack").Single();
        var old = DateTime.UtcNow.AddHours(-2);
        var leftovers = new[]
        {
            // A pack being written (no checksum yet), its index not begun, a spill of a delta, and a complete pack
            // renamed into place whose index never followed.
            Path.Combine(PackDirectory, "tmp_pack_0123"),
            Path.Combine(PackDirectory, "tmp_idx_0123"),
            Path.Combine(PackDirectory, "tmp_spill_4567"),
            Path.Combine(PackDirectory, "pack-" + new string('e', 40) + ".pack"),
        };
        foreach (var file in leftovers)
        {
            File.Copy(pack, file);
            using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(stream.Length / 2);
            File.SetLastWriteTimeUtc(file, old);
        }
        var young = Path.Combine(PackDirectory, "tmp_pack_89ab");
        File.WriteAllText(young, "PACK being written now");

        AssertEverySnapshotReads(trees);
        var result = StoreCollector.Collect(Store, trees, trees, TimeSpan.FromHours(1));

        Assert.Equal(leftovers.Length, result.TemporaryFilesDeleted);
        Assert.All(leftovers, f => Assert.False(File.Exists(f)));
        Assert.True(File.Exists(young));
        AssertEverySnapshotReads(trees);
    }
}
