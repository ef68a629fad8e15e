namespace AgentSnapshots.Tests.Service;

/// <summary>A cluster whose replies list at most 2 paths (<c>Snapshots:MaxListedPaths</c>), and skip files over 16 bytes.</summary>
public sealed class TwoPathRepliesCluster : ServiceClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Snapshots:MaxListedPaths"] = "2",
        ["Snapshots:MaxFileBytes"] = "16",
    };
}

/// <summary>Every list in a reply is capped by a setting and says how many it left out; changes can be paged.</summary>
public sealed class BoundedRepliesTests(TwoPathRepliesCluster fixture) : IClassFixture<TwoPathRepliesCluster>
{
    [Fact]
    public async Task Track_changes_and_restore_list_at_most_the_cap_and_count_the_rest()
    {
        var dir = fixture.NewWorkspace("capped");
        for (var i = 0; i < 5; i++)
        {
            File.WriteAllText(Path.Combine(dir, $"big{i}.log"), new string('x', 100));
            File.WriteAllText(Path.Combine(dir, $"f{i}.txt"), "v1\n");
        }
        var session = fixture.Cluster.Client.GetGrain<ISessionGrain>("capped");

        var first = await session.TrackAsync(dir, null);
        Assert.Equal(5, first.Files);
        Assert.Equal(["big0.log", "big1.log"], first.Skipped.Select(s => s.Path));
        Assert.All(first.Skipped, s => Assert.Equal(SkipReason.TooLarge, s.Reason));
        Assert.Equal((5, 3), (first.SkippedCount, first.OmittedSkipped));

        for (var i = 0; i < 5; i++)
        {
            File.WriteAllText(Path.Combine(dir, $"f{i}.txt"), "v2\n");
        }
        File.WriteAllText(Path.Combine(dir, "new.txt"), "new\n");

        // Paging through the changed paths with 'after' gives each once, in order.
        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await session.ChangesAsync(first.Hash.AsHash(), after);
            Assert.Equal(6, page.FileCount);
            Assert.True(page.Files.Count <= 2);
            seen.AddRange(page.Files);
            Assert.Equal(6 - seen.Count, page.OmittedFiles);
            if (page.OmittedFiles == 0) break;
            after = page.Files[^1];
        }
        Assert.Equal(["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt", "new.txt"], seen);

        var restore = await session.RestoreAsync(first.Hash.AsHash());
        Assert.Equal(["f0.txt", "f1.txt"], restore.Written);
        Assert.Equal(["new.txt"], restore.Deleted);
        Assert.Equal((5, 3, 1, 0), (restore.WrittenCount, restore.OmittedWritten, restore.DeletedCount, restore.OmittedDeleted));
        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal("v1\n", File.ReadAllText(Path.Combine(dir, $"f{i}.txt"))));
    }
}
