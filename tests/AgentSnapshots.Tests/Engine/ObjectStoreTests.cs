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
        using var read = store.OpenBlob(id);
        using var copy = new MemoryStream();
        read.CopyTo(copy);
        Assert.Equal(content, copy.ToArray());
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
    public void Missing_object_says_which()
    {
        var store = ObjectStore.Open(_dir.Combine("store"));
        var id = GitObjectId.Parse(new string('a', 40));
        var e = Assert.Throws<MissingObjectException>(() => store.OpenBlob(id));
        Assert.Contains(id.ToHex(), e.Message, StringComparison.Ordinal);
    }
}
