using System.IO.Compression;
using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Remote;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Remote;

/// <summary>
/// The small blobs an agent receives for a restore: held in memory, written as packs beyond the bound (packs git
/// reads), every blob's content as sent, and nothing left in the store once they are disposed. Anything but a
/// verified stored blob is refused or left to the loose path.
/// </summary>
public sealed class ReceivedBlobsTests : IDisposable
{
    private readonly TempDirectory _dir = new("as-received");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Blobs_beyond_the_bound_go_to_packs_git_reads_and_every_one_reads_back_until_disposed()
    {
        var gitDir = Path.Combine(_dir.Path, "store.git");
        var store = ObjectStore.Open(gitDir);
        var random = new Random(19);
        var blobs = Enumerable.Range(0, 60).Select(i => Encoding.UTF8.GetBytes($"file {i}\n" + new string((char)('a' + random.Next(26)), random.Next(10, 3000)))).ToList();
        var ids = blobs.Select(b => ObjectStore.HashOf(GitObjectType.Blob, b)).ToList();
        using (var received = new ReceivedBlobs(store, heldBytes: 20_000))
        {
            for (var i = 0; i < blobs.Count; i++) Assert.True(received.TryTake(ids[i], Stored(blobs[i])));
            Assert.Equal(blobs.Count, received.Count);
            var packs = Directory.GetFiles(Path.Combine(gitDir, "objects", "pack"), "*.pack");
            Assert.True(packs.Length >= 2, $"{packs.Length} packs for {blobs.Sum(b => b.Length)} bytes held at most 20,000 at a time");
            foreach (var pack in packs) Git.Run(_dir.Path, "--git-dir", gitDir, "verify-pack", Path.ChangeExtension(pack, ".idx"));
            for (var i = 0; i < blobs.Count; i++)
            {
                using var content = received.Open(ids[i]) ?? store.OpenBlob(ids[i]);
                var read = new MemoryStream();
                content.CopyTo(read);
                Assert.Equal(blobs[i], read.ToArray());
            }
            Assert.Equal(Encoding.UTF8.GetString(blobs[0]), Git.Run(_dir.Path, "--git-dir", gitDir, "cat-file", "blob", ids[0].ToHex()));
        }
        Assert.Empty(Directory.GetFiles(Path.Combine(gitDir, "objects", "pack")));
        Assert.DoesNotContain(ids, store.Contains);
    }

    [Fact]
    public void A_wrong_id_is_refused_and_anything_but_a_stored_blob_is_left_to_the_loose_path()
    {
        var store = ObjectStore.Open(Path.Combine(_dir.Path, "store.git"));
        using var received = new ReceivedBlobs(store);
        var content = "the real content\n"u8.ToArray();
        var other = ObjectStore.HashOf(GitObjectType.Blob, "something else\n"u8);
        var refused = Assert.Throws<RemoteProtocolException>(() => received.TryTake(other, Stored(content)));
        Assert.Contains("does not match its id", refused.Message, StringComparison.Ordinal);

        var tree = ZLibStored.Wrap(LooseObjects.Header(GitObjectType.Tree, 0), []);
        Assert.False(received.TryTake(ObjectStore.HashOf(GitObjectType.Tree, []), tree));
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(LooseObjects.Header(GitObjectType.Blob, content.Length));
            zlib.Write(content);
        }
        Assert.False(received.TryTake(ObjectStore.HashOf(GitObjectType.Blob, content), compressed.ToArray()));
        Assert.Equal(0, received.Count);
    }

    private static byte[] Stored(byte[] content) => ZLibStored.Wrap(LooseObjects.Header(GitObjectType.Blob, content.Length), content);
}
