using System.Globalization;
using System.Text;
using AgentSnapshots.Engine.Objects.Packs;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Packs;

/// <summary>
/// Pack indexes written by git, small (read into memory) and large (mapped): every object git lists is found at the
/// offset git gives, ids git does not hold are not, and an open index holds no file descriptor (a silo holds the
/// indexes of every store it serves).
/// </summary>
public sealed class PackIndexTests : IDisposable
{
    private readonly TempDirectory _dir = new("as-packindex");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(3)]
    [InlineData(12_000)]
    public void Every_object_git_indexed_is_found_at_its_offset_and_no_descriptor_stays_open(int blobs)
    {
        var repo = new BareRepository(_dir.Combine($"repo-{blobs}.git"));
        var import = new StringBuilder();
        for (var i = 0; i < blobs; i++)
        {
            var text = $"blob {i} of {blobs}\n";
            import.Append("blob\ndata ").Append(Encoding.UTF8.GetByteCount(text).ToString(CultureInfo.InvariantCulture)).Append('\n').Append(text).Append('\n');
        }
        // unpackLimit 0: a pack even of three objects (git writes a few loose otherwise).
        Git.RunWithInput(repo.GitDir, import.ToString(), "-c", "fastimport.unpackLimit=0", "--git-dir", repo.GitDir, "fast-import", "--quiet");
        var indexPath = Directory.EnumerateFiles(Path.Combine(repo.GitDir, "objects", "pack"), "*.idx").Single();
        var mapped = new FileInfo(indexPath).Length > PackIndex.ReadWholeBytes;
        // What a writer expects its index to weigh (to decide whether a silo can check it whole) is what git wrote.
        Assert.Equal(new FileInfo(indexPath).Length, PackIndex.LengthOf(blobs, new FileInfo(Path.ChangeExtension(indexPath, ".pack")).Length - PackFile.TrailerBytes));
        Assert.Equal(blobs > 1000, mapped);

        // git's own listing: "id type size size-in-pack offset" per object.
        var listed = repo.Run("verify-pack", "-v", indexPath)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 5 && parts[0].Length == 40)
            .Select(parts => (Offset: long.Parse(parts[4], CultureInfo.InvariantCulture), Id: GitObjectId.Parse(parts[0])))
            .ToList();
        Assert.Equal(blobs, listed.Count);

        using var index = PackIndex.Open(indexPath);
        Assert.DoesNotContain(indexPath, OpenFiles());
        Assert.Equal(blobs, index.Count);
        foreach (var (offset, id) in listed)
        {
            var position = index.Find(id);
            Assert.True(position >= 0, $"{id} not found");
            Assert.Equal(id, index.IdAt(position));
            Assert.Equal(offset, index.OffsetAt(position));
        }
        Assert.Equal(-1, index.Find(ObjectStore.HashOf(GitObjectType.Blob, "not in the pack\n"u8)));
    }

    /// <summary>The files this process holds open (its descriptors' targets).</summary>
    private static HashSet<string> OpenFiles()
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target) open.Add(target);
            }
            catch (IOException)
            {
                // Closed while listed.
            }
        }
        return open;
    }
}
