using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Packs;

/// <summary>A 300 MiB file's second version packed as a delta of its first, and read back, each in bounded memory.</summary>
public sealed class LargeDeltaMemoryTests : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    private static void WriteVersion(string path, int version)
    {
        using var output = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        long written = 0;
        for (var i = 0; written < 300 * MiB; i++)
        {
            // Version 2 rewrites one line in ten thousand and appends a few thousand.
            var line = version == 2 && i % 10_000 == 17
                ? $"{i:D10} rewritten in version two, and longer than it was before {i % 13}\n"
                : $"{i:D10} INFO generated line of a large build log {i % 101} {i % 7}\n";
            output.Write(line);
            written += line.Length;
        }
        for (var i = 0; version == 2 && i < 5000; i++) output.Write($"appended in version two: {i}\n");
    }

    [Fact]
    public void A_300_MiB_blob_stored_as_a_delta_is_packed_and_read_in_bounded_memory()
    {
        var path = _ws.Path("build.log");
        WriteVersion(path, 1);
        var first = GitObjectId.Parse(_ws.Workspace.Snapshot().Hash);
        WriteVersion(path, 2);
        var second = GitObjectId.Parse(_ws.Workspace.Snapshot().Hash);
        var store = _ws.Workspace.Store;

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        StoreCollector.Collect(store, [first, second], [], TimeSpan.Zero);
        var packingAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        var blob = TreeComparer.Flatten(store, second)["build.log"].Id;
        var pack = Directory.GetFiles(Path.Combine(store.GitDir, "objects", "pack"), "*.idx").Single();
        var row = Git.Run(_ws.Root, "--git-dir", store.GitDir, "verify-pack", "-v", pack).Split('\n').Single(l => l.StartsWith(blob.ToHex(), StringComparison.Ordinal));
        Assert.Equal(7, row.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length); // "... depth base": a delta

        allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        using (var read = store.OpenBlob(blob))
        {
            Assert.True(read.Length > 300 * MiB);
            Assert.Equal(blob.ToHex(), BareRepository.BlobIdOf(read, read.Length));
        }
        var readingAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        TestContext.Current.SendDiagnosticMessage($"packing allocated {packingAllocated / MiB} MiB, reading {readingAllocated / MiB} MiB");
        // The delta encoder's fixed window and index, and a few buffers: far from the 600 MiB the two versions hold.
        Assert.InRange(packingAllocated, 0, 64 * MiB);
        Assert.InRange(readingAllocated, 0, 16 * MiB);
    }
}
