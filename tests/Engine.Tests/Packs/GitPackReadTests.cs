using System.Globalization;
using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Objects.Packs;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Packs;

/// <summary>Packs written by git (repack, gc) read by our store: every object byte for byte, through deep delta chains and copies that go backwards.</summary>
public sealed class GitPackReadTests : IDisposable
{
    private readonly TempDirectory _dir = new("as-gitpack");

    public void Dispose() => _dir.Dispose();

    /// <summary>Version <paramref name="version"/> of a generated file: each version rewrites 40 more lines than the one before, so a version is closest to its neighbours and git chains them.</summary>
    private static string Lines(int version, int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i =>
            i < version * 40
                ? $"line {i:D6} rewritten by version {i / 40} {new string('x', i % 23)}\n"
                : $"line {i:D6} of a long generated file, the same in most versions {i % 97}\n"));

    [Fact]
    public void Deep_delta_chains_written_by_git_read_back_byte_for_byte()
    {
        var repo = new BareRepository(_dir.Combine("deep.git"));
        string? parent = null;
        var versions = new List<(string Tree, string Blob, string Text)>();
        for (var v = 0; v < 60; v++)
        {
            var text = Lines(v, 3000) + string.Concat(Enumerable.Range(0, v).Select(i => $"appended {i}\n"));
            var blob = repo.WriteBlob(text);
            var small = repo.WriteBlob($"version {v}\n");
            (parent, var tree) = repo.Commit(new Dictionary<string, string> { ["big.txt"] = blob, ["small.txt"] = small }, parent);
            versions.Add((tree, blob, text));
        }
        repo.Run("repack", "-adfq", "--depth=50", "--window=250");
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(repo.GitDir, "objects"), "??"));
        var chains = repo.ChainLengths();
        Assert.True(chains.Keys.DefaultIfEmpty().Max() >= 30, $"git made chains of {string.Join(", ", chains.Keys)}");

        var store = ObjectStore.Open(repo.GitDir);
        foreach (var (tree, blob, text) in versions)
        {
            var treeId = GitObjectId.Parse(tree);
            Assert.True(store.Contains(treeId));
            Assert.Equal(["big.txt", "small.txt"], store.ReadTree(treeId).Select(e => e.Name));
            Assert.Equal(blob, store.ReadTree(treeId)[0].Id.ToHex());
            var id = GitObjectId.Parse(blob);
            Assert.Equal(("blob", (long)Encoding.UTF8.GetByteCount(text)), store.ReadHeader(id));
            using var read = store.OpenBlob(id);
            using var reader = new StreamReader(read, Encoding.UTF8);
            Assert.Equal(text, reader.ReadToEnd());
        }
        // Every object git lists, commits included, hashes to its name when read through us.
        var all = repo.Run("cat-file", "--batch-all-objects", "--batch-check").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(all.Length, store.EnumerateObjects().Distinct().Count());
        foreach (var line in all)
        {
            var parts = line.Split(' ');
            var id = GitObjectId.Parse(parts[0]);
            Assert.Equal((parts[1], long.Parse(parts[2], CultureInfo.InvariantCulture)), store.ReadHeader(id));
        }
    }

    [Fact]
    public void Copies_that_go_backwards_in_the_base_are_read_through_a_temporary_copy_of_the_base()
    {
        // 1024 distinct 1 KiB blocks (1 MiB, beyond the applier's 128 KiB window); the second version reverses them,
        // so git's delta copies each block from further back in the base than the one before.
        var blocks = Enumerable.Range(0, 1024).Select(i => $"block {i:D5} " + new string((char)('a' + i % 26), 1000) + $" end {i % 89:D2}\n").ToList();
        var forward = string.Concat(blocks);
        blocks.Reverse();
        var backward = string.Concat(blocks);
        var repo = new BareRepository(_dir.Combine("backward.git"));
        var (first, _) = repo.Commit(new Dictionary<string, string> { ["f.txt"] = repo.WriteBlob(forward) }, null);
        repo.Commit(new Dictionary<string, string> { ["f.txt"] = repo.WriteBlob(backward) }, first);
        repo.Run("repack", "-adfq");
        Assert.Equal(1, repo.ChainLengths().GetValueOrDefault(1));

        var store = ObjectStore.Open(repo.GitDir);
        var spills = DeltaBase.Spills;
        foreach (var text in new[] { forward, backward })
        {
            var id = ObjectStore.HashOf(GitObjectType.Blob, Encoding.UTF8.GetBytes(text));
            using var read = store.OpenBlob(id);
            Assert.Equal(id.ToHex(), BareRepository.BlobIdOf(read, read.Length));
        }
        Assert.True(DeltaBase.Spills > spills, "the delta read its base backwards without re-reading it");
        // The temporary copy was unlinked at once: nothing is left in the store.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(repo.GitDir, "objects", "pack"), "tmp_*"));
    }

    [Fact]
    public void A_damaged_pack_entry_is_a_corrupt_object_error_naming_the_object_and_store()
    {
        var repo = new BareRepository(_dir.Combine("damaged.git"));
        var text = Lines(1, 2000);
        var blob = repo.WriteBlob(text);
        repo.Commit(new Dictionary<string, string> { ["f.txt"] = blob }, null);
        repo.Run("repack", "-adq");
        var pack = Directory.EnumerateFiles(Path.Combine(repo.GitDir, "objects", "pack"), "*.pack").Single();
        // verify-pack -v: "<id> <type> <size> <size in pack> <offset>".
        var offset = repo.Run("verify-pack", "-v", Path.ChangeExtension(pack, ".idx")).Split('\n')
            .Where(l => l.StartsWith(blob, StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4], CultureInfo.InvariantCulture))
            .Single();
        Assert.True(offset > 0);
        using (var file = new FileStream(pack, FileMode.Open, FileAccess.ReadWrite))
        {
            // Flip bytes inside the entry's zlib data (its header stays intact).
            file.Position = offset + 40;
            var bytes = new byte[16];
            file.ReadExactly(bytes);
            for (var i = 0; i < bytes.Length; i++) bytes[i] ^= 0x5a;
            file.Position = offset + 40;
            file.Write(bytes);
        }

        var store = ObjectStore.Open(repo.GitDir);
        var id = GitObjectId.Parse(blob);
        var e = Assert.Throws<CorruptObjectException>(() =>
        {
            using var read = store.OpenBlob(id);
            read.CopyTo(Stream.Null);
        });
        Assert.Contains(blob, e.Message, StringComparison.Ordinal);
        Assert.Contains(repo.GitDir, e.Message, StringComparison.Ordinal);
    }
}
