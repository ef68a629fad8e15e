using System.Globalization;
using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Diff;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine.Packs;

/// <summary>Collection packs kept snapshots: packs git verifies and reads, deltas between a file's versions, consolidation that frees dropped snapshots.</summary>
public sealed class StorePackingTests : IDisposable
{
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    private ObjectStore Store => _ws.Workspace.Store;

    private string GitDir => Store.GitDir;

    /// <summary>A log of about <paramref name="lines"/> lines (80 bytes each) as turn <paramref name="turn"/> leaves it: the same start, more lines each turn.</summary>
    private static string Log(int lines, int turn) =>
        string.Concat(Enumerable.Range(0, lines + turn * 200).Select(i => $"2026-11-23T12:00:{i % 60:D2}Z INFO request {i:D9} served in {i % 97} ms path=/api/{i % 4099}\n"));

    /// <summary>Takes <paramref name="turns"/> snapshots (each kept by the store's ref) of a growing log and a changing small file; returns their trees, oldest first.</summary>
    private List<GitObjectId> TrackTurns(int turns, int logLines = 30_000)
    {
        var trees = new List<GitObjectId>();
        for (var turn = 1; turn <= turns; turn++)
        {
            _ws.Write("logs/service.log", Log(logLines, turn));
            _ws.Write("src/main.txt", $"turn {turn}\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"line {i} of the source\n")));
            _ws.Write($"notes/turn-{turn}.txt", $"notes of turn {turn}\n");
            trees.Add(GitObjectId.Parse(_ws.Workspace.Snapshot().Hash));
        }
        return trees;
    }

    private string Git(params string[] args) => Support.Git.Run(_ws.Root, ["--git-dir", GitDir, .. args]);

    private string[] Packs(string extension) => Directory.GetFiles(Path.Combine(GitDir, "objects", "pack"), "*" + extension);

    private int LooseCount() => Directory.EnumerateDirectories(Path.Combine(GitDir, "objects"), "??").Sum(d => Directory.GetFiles(d).Length);

    [Fact]
    public void Kept_snapshots_move_into_one_pack_that_git_verifies_with_each_log_version_a_skip_delta_of_an_earlier_one()
    {
        var trees = TrackTurns(6);
        new SnapshotRefs(Store).KeepExactly(trees);
        var looseBytes = StoreCollector.Usage(Store).Bytes;

        var result = StoreCollector.Collect(Store, trees, TimeSpan.Zero);

        Assert.Equal(0, LooseCount());
        var index = Assert.Single(Packs(".idx"));
        Assert.True(result.ObjectsPacked > 0);
        Assert.Equal(result.Remaining, StoreCollector.Usage(Store));
        Assert.Equal(looseBytes - result.BytesFreed, result.Remaining.Bytes);
        // git checks the pack (every object's hash, every delta), the index, and the whole store.
        var verify = Git("verify-pack", "-v", index);
        Git("fsck", "--strict", "--no-dangling");
        // Five of the six log versions are deltas, skip-deltas: version g (from 0) stands on version g with its lowest
        // set bit cleared, so chains are log2 deep (1, 1, 2, 1, 2 for versions 1 to 5).
        var logs = trees.Select(t => Git("rev-parse", $"{t}:logs/service.log").Trim()).ToList();
        var rows = verify.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length >= 5 && p[0].Length == 40).ToDictionary(p => p[0]);
        Assert.Equal(5, rows[logs[0]].Length);
        for (var g = 1; g <= 5; g++)
        {
            var row = rows[logs[g]];
            Assert.Equal(7, row.Length);
            Assert.Equal(System.Numerics.BitOperations.PopCount((uint)g).ToString(CultureInfo.InvariantCulture), row[5]);
            Assert.Equal(logs[g & (g - 1)], row[6]);
        }
        // A delta is a few KiB where the whole log deflates to far more.
        var whole = long.Parse(rows[logs[0]][3], CultureInfo.InvariantCulture);
        Assert.All(logs.Skip(1), id => Assert.True(long.Parse(rows[id][3], CultureInfo.InvariantCulture) * 20 < whole));

        // git and the store read every version back as it was written.
        for (var turn = 1; turn <= 6; turn++)
        {
            Assert.Equal(Log(30_000, turn), Git("cat-file", "blob", logs[turn - 1]));
            using var blob = Store.OpenBlob(GitObjectId.Parse(logs[turn - 1]));
            Assert.Equal(Log(30_000, turn), new StreamReader(blob, Encoding.UTF8).ReadToEnd());
        }
        var summary = new DiffSummaryBuilder(Store, new SummaryOptions()).Summarize(trees[0], trees[5]);
        Assert.Equal(Git("diff", "--numstat", trees[0].ToHex(), trees[5].ToHex()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, summary.FileCount);
        _ws.Workspace.Restore(trees[2], null);
        Assert.Equal(Log(30_000, 3), _ws.Read("logs/service.log"));
        Assert.False(_ws.Exists("notes/turn-4.txt"));
    }

    [Fact]
    public void Snapshots_dropped_after_packing_are_freed_when_their_pack_is_mostly_garbage()
    {
        var trees = TrackTurns(4, logLines: 5_000);
        // Big distinct files per turn make most of the pack belong to the first three snapshots.
        var refs = new SnapshotRefs(Store);
        for (var turn = 0; turn < 3; turn++)
        {
            var random = new Random(turn);
            var noise = new byte[400_000];
            random.NextBytes(noise);
            _ws.Write($"noise-{turn}.b64", Convert.ToBase64String(noise));
            trees[turn] = GitObjectId.Parse(_ws.Workspace.Snapshot().Hash);
            _ws.Write($"noise-{turn}.b64", "gone\n");
        }
        var dropped = trees.Take(3).ToList();
        refs.KeepExactly(trees);
        StoreCollector.Collect(Store, trees, TimeSpan.Zero);
        var packed = StoreCollector.Usage(Store);
        Assert.Single(Packs(".pack"));
        Assert.All(dropped, t => Assert.True(Store.Contains(t)));

        var kept = new List<GitObjectId> { trees[3] };
        refs.KeepExactly(kept);
        var result = StoreCollector.Collect(Store, kept, TimeSpan.Zero);

        Assert.All(dropped, t => Assert.False(Store.Contains(t)));
        Assert.True(result.ObjectsDeleted >= 6, $"{result.ObjectsDeleted} deleted");
        Assert.True(result.Remaining.Bytes * 4 < packed.Bytes, $"{packed.Bytes} -> {result.Remaining.Bytes}");
        Git("fsck", "--strict", "--no-dangling");
        foreach (var index in Packs(".idx")) Git("verify-pack", index);
        _ws.Workspace.Restore(trees[3], null);
        Assert.Equal(Log(5_000, 4), _ws.Read("logs/service.log"));
    }

    [Fact]
    public void New_snapshots_after_a_pack_land_in_a_pack_merged_with_it_and_deltas_continue_across()
    {
        var trees = TrackTurns(3);
        var refs = new SnapshotRefs(Store);
        refs.KeepExactly(trees);
        StoreCollector.Collect(Store, trees, TimeSpan.Zero);
        var first = Assert.Single(Packs(".pack"));
        var firstBytes = new FileInfo(first).Length;

        trees.AddRange(TrackTurns(6).Skip(3));
        refs.KeepExactly(trees);
        StoreCollector.Collect(Store, trees, TimeSpan.Zero);

        // The loose versions were as large as the pack, so the two were consolidated into one.
        var merged = Assert.Single(Packs(".pack"));
        Assert.NotEqual(first, merged);
        Assert.True(new FileInfo(merged).Length < firstBytes * 3 / 2, $"{firstBytes} -> {new FileInfo(merged).Length}");
        Assert.Equal(0, LooseCount());
        Git("fsck", "--strict", "--no-dangling");
        var log6 = Git("rev-parse", $"{trees[5]}:logs/service.log").Trim();
        Assert.Equal(Log(30_000, 6), Git("cat-file", "blob", log6));
    }
}
