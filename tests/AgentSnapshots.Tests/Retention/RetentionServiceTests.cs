namespace AgentSnapshots.Tests.Retention;

/// <summary>Random text that zlib cannot shrink much, so store sizes mean something.</summary>
internal static class Content
{
    public static string Noise(int seed, int bytes)
    {
        var random = new Random(seed);
        var buffer = new byte[bytes * 3 / 4];
        random.NextBytes(buffer);
        return Convert.ToBase64String(buffer);
    }

    public static void Write(string dir, string relative, string text)
    {
        var full = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    public static string Read(string dir, string relative) => File.ReadAllText(Path.Combine(dir, relative));
}

/// <summary>Retention, collection and session deletion through the grains on a real cluster with real stores.</summary>
public sealed class RetentionServiceTests(KeepLastTwoCluster fixture) : IClassFixture<KeepLastTwoCluster>
{
    private ISessionGrain Session(string id) => fixture.Grains.GetGrain<ISessionGrain>(id);

    [Fact]
    public async Task Gc_drops_what_retention_allows_reclaims_disk_and_every_kept_snapshot_still_restores()
    {
        var dir = fixture.NewWorkspace("keep-last");
        var session = Session("keep-last-1");
        var versions = new List<(string Hash, string Big)>();
        Content.Write(dir, "same.txt", "unchanged in every snapshot\n");
        for (var i = 0; i < 5; i++)
        {
            var big = Content.Noise(i, 200_000);
            Content.Write(dir, "big.txt", big);
            var tracked = await session.TrackAsync(i == 0 ? dir : null, $"v{i}");
            versions.Add((tracked.Hash, big));
        }
        var before = await session.UsageAsync();

        var report = await session.CollectAsync();
        var after = await session.UsageAsync();

        // KeepLast 2 with no age rule: v0, v1, v2 go; their big.txt blobs and trees are freed, and so are the five
        // commits that kept each tracked snapshot reachable (the kept ref now names the two left in one commit).
        Assert.Equal(3, report.DroppedSnapshots);
        Assert.Equal(6 + 5, report.ObjectsDeleted);
        Assert.InRange(report.BytesFreed, 3 * 140_000L, 3 * 210_000L);
        Assert.Equal(before.Bytes - report.BytesFreed, after.Bytes);
        Assert.Equal(new StoreSize(after.Objects, after.Bytes), report.Remaining);
        Assert.Equal((5, 2, 1), (before.Snapshots, after.Snapshots, after.Sessions));

        var history = await session.HistoryAsync();
        Assert.Equal(["v3", "v4"], history.Snapshots.Select(s => s.Label));
        foreach (var (hash, big) in versions.Skip(3))
        {
            Content.Write(dir, "big.txt", "scribbled over\n");
            await session.RestoreAsync(hash.AsHash());
            Assert.Equal(big, Content.Read(dir, "big.txt"));
            Assert.Equal("unchanged in every snapshot\n", Content.Read(dir, "same.txt"));
        }

        var refused = await Assert.ThrowsAsync<SnapshotRequestException>(() => session.RestoreAsync(versions[0].Hash.AsHash()));
        Assert.Equal(RequestError.UnknownSnapshot, refused.Error);
        Assert.Contains("removed by retention", refused.Message, StringComparison.Ordinal);
        Assert.Contains("KeepLast (2)", refused.Message, StringComparison.Ordinal);
        var diff = await Assert.ThrowsAsync<SnapshotRequestException>(() => session.DiffAsync(versions[1].Hash.AsHash(), null));
        Assert.Equal(RequestError.UnknownSnapshot, diff.Error);
    }

    [Fact]
    public async Task A_deleted_sessions_snapshots_are_freed_and_another_sessions_stay_restorable()
    {
        var dir = fixture.NewWorkspace("delete");
        var keeper = Session("delete-keeper");
        var leaver = Session("delete-leaver");
        Content.Write(dir, "shared.txt", Content.Noise(100, 50_000));
        var kept = await keeper.TrackAsync(dir, "keeper's");
        Content.Write(dir, "leaver.txt", Content.Noise(101, 300_000));
        var left1 = await leaver.TrackAsync(dir, "leaver's 1");
        Content.Write(dir, "leaver.txt", Content.Noise(102, 300_000));
        await leaver.TrackAsync(null, "leaver's 2");
        var before = await keeper.UsageAsync();
        Assert.Equal((3, 2), (before.Snapshots, before.Sessions));

        var deleted = await leaver.DeleteAsync();
        var report = await keeper.CollectAsync();

        Assert.Equal(new DeletedSession("delete-leaver", before.Workspace, dir, 2), deleted);
        Assert.Empty((await leaver.HistoryAsync()).Snapshots);
        Assert.Null((await leaver.HistoryAsync()).Workspace);
        // Both leaver.txt versions and the two trees go, with the three commits that kept the tracked snapshots; shared.txt stays.
        Assert.Equal(4 + 3, report.ObjectsDeleted);
        Assert.InRange(report.BytesFreed, 2 * 210_000L, 2 * 310_000L);
        var after = await keeper.UsageAsync();
        Assert.Equal((1, 1), (after.Snapshots, after.Sessions));

        await keeper.RestoreAsync(kept.Hash.AsHash());
        Assert.False(File.Exists(Path.Combine(dir, "leaver.txt")));
        Assert.Equal(Content.Noise(100, 50_000), Content.Read(dir, "shared.txt"));
        var unknown = await Assert.ThrowsAsync<SnapshotRequestException>(() => leaver.RestoreAsync(left1.Hash.AsHash()));
        Assert.Equal(RequestError.UnknownSession, unknown.Error);

        // A deleted session id starts afresh (here on the same tree as the keeper's).
        var again = await leaver.TrackAsync(dir, "reborn");
        Assert.Equal(["reborn"], (await leaver.HistoryAsync()).Snapshots.Select(s => s.Label));
        Assert.Equal(kept.Hash, again.Hash);
        Assert.Equal((2, 2), ((await keeper.UsageAsync()).Snapshots, (await keeper.UsageAsync()).Sessions)); // kept, the restore's safety snapshot
    }

    [Fact]
    public async Task A_diff_against_now_and_snapshots_shared_between_sessions_survive_collection()
    {
        var dir = fixture.NewWorkspace("shared");
        var a = Session("shared-a");
        var b = Session("shared-b");
        Content.Write(dir, "f.txt", "one\n");
        var one = await a.TrackAsync(dir, "a1");
        await b.TrackAsync(dir, "b1"); // the same tree, recorded by both
        for (var i = 2; i <= 4; i++)
        {
            Content.Write(dir, "f.txt", $"a{i}\n");
            await a.TrackAsync(null, $"a{i}");
        }

        var report = await a.CollectAsync();

        // a1 is not among a's last two, but it is b's latest: kept, and so still in both histories. a2 goes.
        Assert.Equal(1, report.DroppedSnapshots);
        Assert.Equal(one.Hash, Assert.Single((await b.HistoryAsync()).Snapshots).Hash);
        Assert.Equal(["a1", "a3", "a4"], (await a.HistoryAsync()).Snapshots.Select(s => s.Label));
        Content.Write(dir, "f.txt", "one\n"); // "now" is the old tree again
        var summary = await b.DiffAsync(one.Hash.AsHash(), null);
        Assert.Equal(0, summary.FileCount);
        await b.RestoreAsync(one.Hash.AsHash());
        Assert.Equal("one\n", Content.Read(dir, "f.txt"));
    }

    [Fact]
    public async Task Usage_gc_and_delete_of_an_unbound_session_are_clear_refusals_or_no_ops()
    {
        var nobody = Session("retention-nobody");

        Assert.Equal(RequestError.UnknownSession, (await Assert.ThrowsAsync<SnapshotRequestException>(() => nobody.UsageAsync())).Error);
        Assert.Equal(RequestError.UnknownSession, (await Assert.ThrowsAsync<SnapshotRequestException>(() => nobody.CollectAsync())).Error);
        Assert.Equal(new DeletedSession("retention-nobody", null, null, 0), await nobody.DeleteAsync());
    }
}

/// <summary>MaxBytes and automatic collection.</summary>
public sealed class MaxBytesTests(MaxBytesCluster fixture) : IClassFixture<MaxBytesCluster>
{
    [Fact]
    public async Task Automatic_collection_keeps_the_store_near_max_bytes_and_never_drops_the_latest()
    {
        var dir = fixture.NewWorkspace("max-bytes");
        var session = fixture.Grains.GetGrain<ISessionGrain>("max-bytes-1");
        var hashes = new List<string>();
        string? latest = null;
        string? big = null;
        for (var i = 0; i < 9; i++)
        {
            big = Content.Noise(200 + i, 400_000);
            Content.Write(dir, "big.txt", big);
            latest = (await session.TrackAsync(i == 0 ? dir : null, $"v{i}")).Hash;
            hashes.Add(latest);
        }

        // Every third track schedules a collection in the workspace's own turn: one has run once fewer than 9 are kept.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var usage = await session.UsageAsync();
        while (usage.Snapshots == 9 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            usage = await session.UsageAsync();
        }
        Assert.InRange(usage.Snapshots, 1, 8);

        // Up to two snapshots may have come since: gc now gets the store under MaxBytes.
        var report = await session.CollectAsync();
        usage = await session.UsageAsync();

        // About 300 KB a version on disk, 1 MiB at most: three versions fit.
        Assert.InRange(usage.Bytes, 1, 1L << 20);
        Assert.Equal(new StoreSize(usage.Objects, usage.Bytes), report.Remaining);
        Assert.InRange(usage.Snapshots, 1, 3);
        var history = await session.HistoryAsync();
        Assert.Equal(latest, history.Snapshots[^1].Hash);
        Assert.Equal(usage.Snapshots, history.Snapshots.Count);
        Content.Write(dir, "big.txt", "changed\n");
        await session.RestoreAsync(latest!.AsHash());
        Assert.Equal(big, Content.Read(dir, "big.txt"));

        var refused = await Assert.ThrowsAsync<SnapshotRequestException>(() => session.DiffAsync(hashes[0].AsHash(), null));
        Assert.Equal(RequestError.UnknownSnapshot, refused.Error);
        Assert.Contains("MaxBytes", refused.Message, StringComparison.Ordinal);
    }
}
