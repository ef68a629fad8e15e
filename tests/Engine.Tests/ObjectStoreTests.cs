using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

public sealed class ObjectStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Blob_hashes_like_git_and_git_reads_it_back()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        var content = Encoding.UTF8.GetBytes("hello\nworld\n");
        var id = store.WriteBlob(new MemoryStream(content), content.Length);

        var path = _dir.Write("f.txt", "hello\nworld\n");
        Assert.Equal(Git.Run(_dir.Path, "hash-object", path).Trim(), id.ToHex());
        Assert.Equal("hello\nworld\n", Git.Run(_dir.Path, "--git-dir", store.GitDir, "cat-file", "blob", id.ToHex()));
        Assert.Equal(("blob", (long)content.Length), store.ReadHeader(id));
        Assert.Equal(content, ReadBlob(store, id));
    }

    [Fact]
    public void Tree_is_canonical_and_git_lists_it()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        var blob = store.WriteBlob(new MemoryStream("x"u8.ToArray()), 1);
        var sub = store.WriteTree([new TreeEntry("inner", EntryMode.RegularFile, blob)]);
        // "a.b" sorts before "a/" but after "a" as a file would: git's directory-as-"name/" ordering.
        var root = store.WriteTree([
            new TreeEntry("a.b", EntryMode.ExecutableFile, blob),
            new TreeEntry("a", EntryMode.Directory, sub),
            new TreeEntry("link", EntryMode.Symlink, blob),
        ]);
        var listing = Git.Run(_dir.Path, "--git-dir", store.GitDir, "ls-tree", root.ToHex());
        Assert.Equal(
            $"100755 blob {blob}\ta.b\n040000 tree {sub}\ta\n120000 blob {blob}\tlink\n",
            listing);
        Git.Run(_dir.Path, "--git-dir", store.GitDir, "fsck", "--strict", "--no-dangling");
        Assert.Equal(["a.b", "a", "link"], store.ReadTree(root).Select(e => e.Name));
    }

    [Fact]
    public void Content_shorter_than_announced_leaves_nothing_behind()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        Assert.Throws<ContentLengthChangedException>(() => store.WriteBlob(new MemoryStream(new byte[10]), 11));
        Assert.Throws<ContentLengthChangedException>(() => store.WriteBlob(new MemoryStream(new byte[12]), 11));
        Assert.Empty(Directory.EnumerateFiles(_dir.Combine("store", "objects"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Large_content_that_changes_length_while_streamed_leaves_nothing_behind()
    {
        // Over the size read whole: streamed through a temporary file.
        var store = ObjectStore.Open(_dir.Combine("store"));
        const int Length = 200_000;
        Assert.Throws<ContentLengthChangedException>(() => store.WriteBlob(new MemoryStream(new byte[Length - 1]), Length));
        Assert.Throws<ContentLengthChangedException>(() => store.WriteBlob(new MemoryStream(new byte[Length + 1]), Length));
        Assert.Empty(Directory.EnumerateFiles(_dir.Combine("store", "objects"), "*", SearchOption.AllDirectories));

        var content = Enumerable.Range(0, Length).Select(i => (byte)('a' + (i % 26))).ToArray();
        var id = store.WriteBlob(new MemoryStream(content), Length);
        Assert.Equal(Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Git.Run(_dir.Path, "--git-dir", store.GitDir, "cat-file", "-s", id.ToHex()).Trim());
    }

    [Fact]
    public void A_fan_out_directory_removed_under_the_store_is_made_again_by_the_next_write()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        var first = store.WriteObject(GitObjectType.Blob, "first\n"u8);
        // Collection (or anyone) empties and removes objects/xx after this store wrote there.
        var fanOut = Path.GetDirectoryName(store.Loose.PathOf(first))!;
        Directory.Delete(fanOut, recursive: true);
        // Another object with the same first byte goes to the same directory.
        var (content, id) = Enumerable.Range(0, 100_000)
            .Select(i => Encoding.UTF8.GetBytes($"other {i}\n"))
            .Select(bytes => (bytes, ObjectStore.HashOf(GitObjectType.Blob, bytes)))
            .First(c => c.Item2.FirstByte == first.FirstByte);

        Assert.Equal(id, store.WriteObject(GitObjectType.Blob, content));
        Assert.Equal(Encoding.UTF8.GetString(content), Git.Run(_dir.Path, "--git-dir", store.GitDir, "cat-file", "blob", id.ToHex()));
        // Written again (a second writer of the same object): still one object, still git's.
        Assert.Equal(id, store.WriteBlob(new MemoryStream(content), content.Length));
        Assert.Single(Directory.EnumerateFiles(fanOut));
        Git.Run(_dir.Path, "--git-dir", store.GitDir, "fsck", "--strict");
    }

    [Fact]
    public void Objects_up_to_one_block_are_stored_uncompressed_and_larger_ones_compressed_git_reads_both()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        // "blob 4075\0" is 10 bytes: 4,085 with the content, the most one stored block in a 4 KiB file holds; one more byte is compressed.
        var fits = Enumerable.Range(0, 4075).Select(i => (byte)('a' + (i % 26))).ToArray();
        var over = fits.Append((byte)'\n').ToArray();
        var small = store.WriteBlob(new MemoryStream(fits), fits.Length);
        var large = store.WriteBlob(new MemoryStream(over), over.Length);

        var smallFile = File.ReadAllBytes(LooseFile(store, small));
        Assert.Equal(4096, smallFile.Length);
        Assert.Equal([0x78, 0x01, 0x01], smallFile[..3]);
        Assert.True(new FileInfo(LooseFile(store, large)).Length < 200, "the larger object is compressed");
        Git.Run(_dir.Path, "--git-dir", store.GitDir, "fsck", "--strict");
        Assert.Equal(Encoding.ASCII.GetString(fits), Git.Run(_dir.Path, "--git-dir", store.GitDir, "cat-file", "blob", small.ToHex()));
        Assert.Equal(Encoding.ASCII.GetString(over), Git.Run(_dir.Path, "--git-dir", store.GitDir, "cat-file", "blob", large.ToHex()));
        Assert.Equal(fits, ReadBlob(store, small));
        Assert.Equal(over, ReadBlob(store, large));
    }

    [Fact]
    public void A_stored_object_whose_checksum_fails_is_reported_corrupt()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        var tree = store.WriteTree([new TreeEntry("f", EntryMode.RegularFile, store.WriteBlob(new MemoryStream("x"u8.ToArray()), 1))]);
        var file = LooseFile(store, tree);
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0xFF; // the Adler-32 trailer
        File.SetAttributes(file, FileAttributes.Normal);
        File.WriteAllBytes(file, bytes);

        var e = Assert.Throws<CorruptObjectException>(() => store.ReadTree(tree));
        Assert.Contains(tree.ToHex(), e.Message, StringComparison.Ordinal);
        // git agrees the object is damaged.
        Assert.Throws<InvalidOperationException>(() => Git.Run(_dir.Path, "--git-dir", store.GitDir, "cat-file", "-p", tree.ToHex()));
    }

    private static byte[] ReadBlob(ObjectStore store, GitObjectId id)
    {
        using var read = store.OpenBlob(id);
        using var copy = new MemoryStream();
        read.CopyTo(copy);
        return copy.ToArray();
    }

    private static string LooseFile(ObjectStore store, GitObjectId id) =>
        Path.Combine(store.ObjectsDirectory, id.ToHex()[..2], id.ToHex()[2..]);

    [Fact]
    public void A_store_opened_as_it_is_reads_what_its_writer_stored_and_an_absent_one_is_not_made()
    {
        var writer = ObjectStore.Open(_dir.Combine("store"));
        var blob = writer.WriteBlob(new MemoryStream("read me\n"u8.ToArray()), 8);
        var tree = writer.WriteTree([new TreeEntry("f.txt", EntryMode.RegularFile, blob)]);

        var reader = ObjectStore.OpenExisting(_dir.Combine("store"));
        Assert.Equal(blob, Assert.Single(reader.ReadTree(tree)).Id);
        Assert.Equal("read me\n"u8.ToArray(), ReadBlob(reader, blob));
        Assert.Equal(("blob", 8L), reader.ReadHeader(blob));

        var absent = ObjectStore.OpenExisting(_dir.Combine("absent"));
        Assert.Throws<MissingObjectException>(() => absent.ReadTree(tree));
        Assert.False(Directory.Exists(_dir.Combine("absent")));
    }

    [Fact]
    public void An_object_packed_away_after_a_reader_listed_the_packs_is_still_read()
    {
        // Reads try the loose file first when no listed pack has the object; one moved into a pack since must still
        // be found (the pack list read again), as git does.
        var store = ObjectStore.Open(_dir.Combine("store"));
        var blob = store.WriteBlob(new MemoryStream("packed later\n"u8.ToArray()), 13);
        var tree = store.WriteTree([new TreeEntry("f.txt", EntryMode.RegularFile, blob)]);
        new SnapshotRefs(store).Keep(tree);
        Assert.Equal(blob, Assert.Single(store.ReadTree(tree)).Id);

        Git.Run(_dir.Path, "--git-dir", store.GitDir, "repack", "-a", "-d", "-q");
        Assert.False(File.Exists(LooseFile(store, tree)));

        Assert.Equal(blob, Assert.Single(store.ReadTree(tree)).Id);
        Assert.Equal("packed later\n"u8.ToArray(), ReadBlob(store, blob));
        Assert.Equal(("tree", (long)store.ReadSmallObject(tree, GitObjectType.Tree).Length), store.ReadHeader(tree));
    }

    [Fact]
    public void Missing_object_says_which()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        var id = GitObjectId.Parse(new string('a', 40));
        var e = Assert.Throws<MissingObjectException>(() => store.OpenBlob(id));
        Assert.Contains(id.ToHex(), e.Message, StringComparison.Ordinal);
    }
}
