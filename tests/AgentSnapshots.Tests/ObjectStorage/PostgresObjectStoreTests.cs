using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.Engine.Objects.Packs;
using AgentSnapshots.ObjectStorage.PostgreSql;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentSnapshots.Tests.ObjectStorage;

/// <summary>
/// Object stores kept in a real PostgreSQL database (<c>Snapshots:ObjectStore</c> = postgres) with each silo's
/// directory only a cache: what one cache published another reads, diffs and checks; the stored packs are real git
/// packs (the git binary reads them); a torn upload is never listed and is removed later; a dead backend fails a
/// publish with <see cref="ObjectBackendException"/> and loses nothing; a small cache evicts and fetches again.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class PostgresObjectStoreTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new("as-objstore");
    private PostgresObjectBackend _backend = null!;

    public async ValueTask InitializeAsync()
    {
        await PostgresSchema.ApplyAsync(database.ConnectionString, NullLogger.Instance, TestContext.Current.CancellationToken);
        _backend = new PostgresObjectBackend(database.ConnectionString, "objstore-tests-" + Guid.NewGuid().ToString("N"));
    }

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public void What_one_cache_published_another_reads_diffs_and_git_checks()
    {
        var work = Directory.CreateDirectory(_temp.Combine("work")).FullName;
        File.WriteAllText(Path.Combine(work, "a.txt"), "one\ntwo\nthree\n");
        File.WriteAllText(Path.Combine(work, "big.txt"), Lines(40_000, "v1"));
        var (first, second, workspaceId) = TrackTwice(work, _temp.Combine("silo-a"));

        // Another silo's cache, cold: it fetches the indexes and only the ranges it reads.
        var cold = new PackCache(_backend, _temp.Combine("silo-b", "workspaces"), 1L << 30);
        var store = cold.Open(workspaceId);
        var summary = new DiffSummaryBuilder(store, new SummaryOptions()).Summarize(first, second);
        Assert.Equal(2, summary.FileCount);
        Assert.Equal(40_000 + 1, summary.Additions);
        Assert.Equal(40_000, summary.Deletions);
        using (var blob = store.OpenBlob(store.ReadTree(second).Single(e => e.Name == "a.txt").Id))
        using (var reader = new StreamReader(blob))
        {
            Assert.Equal("one\ntwo\nthree\nfour\n", reader.ReadToEnd());
        }
        Assert.True(cold.Bytes > 0);

        // The cache deleted behind the silo's back (an operator emptying DataDir): the same store reads it all again.
        foreach (var file in Directory.EnumerateFiles(Path.Combine(store.GitDir, "objects", "pack"))) File.Delete(file);
        Assert.Equal(summary, new DiffSummaryBuilder(store, new SummaryOptions()).Summarize(first, second) with { Files = summary.Files });
        Assert.Equal(summary.Files, new DiffSummaryBuilder(store, new SummaryOptions()).Summarize(first, second).Files);

        // The backend's files are real git packs: git reads both snapshots from a copy of them alone.
        var gitDir = CopyOfBackend(workspaceId);
        Assert.Equal(Git.WriteTreeOf(work), second.ToHex());
        Git.Run(gitDir, "--git-dir", gitDir, "fsck", "--no-dangling", "--connectivity-only");
        Assert.Contains("a.txt", Git.Run(gitDir, "--git-dir", gitDir, "ls-tree", first.ToHex()), StringComparison.Ordinal);
        Assert.Equal("one\ntwo\nthree\nfour\n", Git.Run(gitDir, "--git-dir", gitDir, "show", second.ToHex() + ":a.txt"));
        foreach (var index in Directory.EnumerateFiles(Path.Combine(gitDir, "objects", "pack"), "*.idx"))
        {
            Git.Run(gitDir, "--git-dir", gitDir, "verify-pack", index);
        }
    }

    [Fact]
    public void A_cache_smaller_than_the_packs_evicts_and_fetches_again()
    {
        var work = Directory.CreateDirectory(_temp.Combine("work")).FullName;
        var trees = new List<GitObjectId>();
        var options = Options(_temp.Combine("silo-a"));
        var writer = new PackCache(_backend, options.WorkspacesDirectory, 1L << 30);
        string workspaceId;
        using (var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options, null, null, writer))
        {
            workspaceId = Path.GetFileName(workspace.Store.GitDir);
            for (var i = 0; i < 4; i++)
            {
                // Random bytes do not compress: each pack holds about 3 MiB.
                File.WriteAllBytes(Path.Combine(work, $"f{i}.bin"), Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 3 << 20));
                trees.Add(workspace.Snapshot(TestContext.Current.CancellationToken).Tree);
                workspace.Store.Backed!.Publish(TestContext.Current.CancellationToken);
            }
        }

        const long budget = 4L << 20;
        var small = new PackCache(_backend, _temp.Combine("silo-b", "workspaces"), budget);
        var store = small.Open(workspaceId);
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 4; i++)
            {
                var entry = store.ReadTree(trees[i]).Single(e => e.Name == $"f{i}.bin");
                using var blob = store.OpenBlob(entry.Id);
                Assert.Equal(File.ReadAllBytes(Path.Combine(work, $"f{i}.bin")), ReadAll(blob));
                // Beyond the budget only by what the pack being read holds.
                Assert.True(small.Bytes <= budget + (4L << 20), $"cache holds {small.Bytes} bytes");
            }
        }
        var cachedPacks = Directory.GetFiles(Path.Combine(store.GitDir, "objects", "pack"), "*.pack").Length;
        Assert.InRange(cachedPacks, 1, 2);
    }

    [Fact]
    public async Task A_torn_upload_is_never_listed_and_is_removed_later()
    {
        var ct = TestContext.Current.CancellationToken;
        const string store = "torn";
        var failing = new FailingAfter(new MemoryStream(new byte[3 << 20]), failAfter: (1 << 20) + 4096);
        await Assert.ThrowsAsync<IOException>(() => _backend.PutAsync(store, "pack-torn.pack", failing, 3 << 20, ct));

        Assert.Empty(await _backend.ListAsync(store, ct));
        Assert.Null(await _backend.LengthAsync(store, "pack-torn.pack", ct));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _backend.ReadAsync(store, "pack-torn.pack", 0, new byte[16], ct));
        Assert.True(await CountAsync("SELECT count(*) FROM snapshots_object_chunk c JOIN snapshots_object_upload u USING (upload_id) WHERE u.store_id = 'torn'") >= 1);

        // Not yet: an upload younger than the grace may still be running.
        Assert.Equal(0, await _backend.RemoveInterruptedAsync(store, TimeSpan.FromMinutes(5), ct));
        Assert.Equal(1, await _backend.RemoveInterruptedAsync(store, TimeSpan.Zero, ct));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM snapshots_object_upload WHERE store_id = 'torn'"));

        // The same name put whole afterwards is read back exactly, across chunk boundaries.
        var content = Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), (2 << 20) + 123);
        await _backend.PutAsync(store, "pack-torn.pack", new MemoryStream(content), content.Length, ct);
        await _backend.PutAsync(store, "pack-torn.pack", new MemoryStream(content), content.Length, ct);
        Assert.Equal(content.Length, await _backend.LengthAsync(store, "pack-torn.pack", ct));
        var middle = new byte[1 << 20];
        Assert.Equal(middle.Length, await _backend.ReadAsync(store, "pack-torn.pack", (1 << 20) - 10, middle, ct));
        Assert.Equal(content.AsSpan((1 << 20) - 10, middle.Length).ToArray(), middle);
        var tail = new byte[1000];
        Assert.Equal(123 + 10, await _backend.ReadAsync(store, "pack-torn.pack", content.Length - 133, tail, ct));
        // The retried put left no second copy.
        Assert.Equal(3, await CountAsync("SELECT count(*) FROM snapshots_object_chunk c JOIN snapshots_object_file f USING (upload_id) WHERE f.store_id = 'torn'"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM snapshots_object_chunk c WHERE NOT EXISTS (SELECT 1 FROM snapshots_object_file f WHERE f.upload_id = c.upload_id)"));
    }

    [Fact]
    public async Task A_file_of_one_chunk_is_stored_in_one_transaction_with_no_upload_row_and_a_retried_put_keeps_one_copy()
    {
        var ct = TestContext.Current.CancellationToken;
        const string store = "one-chunk";
        var content = Encoding.UTF8.GetBytes(Lines(1000, "small"));
        Assert.True(content.Length < PostgresObjectBackend.ChunkBytes);
        await _backend.PutAsync(store, "pack-small.idx", new MemoryStream(content), content.Length, ct);
        await _backend.PutAsync(store, "pack-small.idx", new MemoryStream(content), content.Length, ct);

        var read = new byte[content.Length + 10];
        Assert.Equal(content.Length, await _backend.ReadAsync(store, "pack-small.idx", 0, read, ct));
        Assert.Equal(content, read[..content.Length]);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM snapshots_object_upload WHERE store_id = 'one-chunk'"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM snapshots_object_chunk c JOIN snapshots_object_file f USING (upload_id) WHERE f.store_id = 'one-chunk'"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM snapshots_object_chunk c WHERE NOT EXISTS (SELECT 1 FROM snapshots_object_file f WHERE f.upload_id = c.upload_id)"));

        // A one-chunk put whose source fails stores nothing at all.
        var failing = new FailingAfter(new MemoryStream(content), failAfter: 100);
        await Assert.ThrowsAsync<IOException>(() => _backend.PutAsync(store, "pack-broken.idx", failing, content.Length, ct));
        Assert.Equal(["pack-small.idx"], (await _backend.ListAsync(store, ct)).Select(f => f.Name));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM snapshots_object_upload WHERE store_id = 'one-chunk'"));
    }

    [Fact]
    public async Task An_async_publish_packs_through_the_given_threads_and_uploads_after_them()
    {
        var ct = TestContext.Current.CancellationToken;
        var work = Directory.CreateDirectory(_temp.Combine("work-async")).FullName;
        File.WriteAllText(Path.Combine(work, "a.txt"), Lines(5000, "async"));
        var options = Options(_temp.Combine("silo-async"));
        var cache = new PackCache(_backend, options.WorkspacesDirectory, 1L << 30);
        using var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options, null, null, cache);
        var tree = workspace.Snapshot(ct).Tree;
        var workspaceId = Path.GetFileName(workspace.Store.GitDir);
        var loose = Directory.EnumerateDirectories(Path.Combine(workspace.Store.GitDir, "objects"), "??").SelectMany(Directory.EnumerateFiles).Count();
        Assert.True(loose >= 2, $"{loose} loose objects");

        var fileWork = 0;
        var listedAfterFileWork = -1;
        var published = await workspace.Store.Backed!.PublishAsync(async staged =>
        {
            Interlocked.Increment(ref fileWork);
            var result = await Task.Run(staged, ct);
            // The pack is written and staged, nothing is stored yet: the uploads come after the file work.
            listedAfterFileWork = (await _backend.ListAsync(workspaceId, ct)).Count;
            return result;
        }, ct);

        Assert.Equal(1, fileWork);
        Assert.Equal(0, listedAfterFileWork);
        Assert.Equal(1, published.Packs);
        Assert.Equal(loose, published.Objects);
        Assert.Equal([".idx", ".pack"], (await _backend.ListAsync(workspaceId, ct)).Select(f => Path.GetExtension(f.Name)).Order());
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(workspace.Store.GitDir, "objects"), "??").SelectMany(Directory.EnumerateFiles));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(workspace.Store.GitDir, "agentsnapshots-staging")));
        // The stored pack is a real git pack holding the snapshot's tree and its blob.
        var copy = CopyOfBackend(workspaceId);
        Assert.Equal("a.txt", Git.Run(copy, "ls-tree", "--name-only", tree.ToString()).Trim());
        Assert.Equal(Lines(5000, "async"), Git.Run(copy, "cat-file", "-p", $"{tree}:a.txt"));
    }

    [Fact]
    public async Task An_unreachable_backend_fails_the_publish_and_the_next_publish_stores_everything()
    {
        var work = Directory.CreateDirectory(_temp.Combine("work")).FullName;
        File.WriteAllText(Path.Combine(work, "a.txt"), "kept\n");
        var options = Options(_temp.Combine("silo-a"));
        var deadPort = LoopbackPort.Free();
        await using var dead = new PostgresObjectBackend($"Host=127.0.0.1;Port={deadPort};Username=nobody;Password=secret-password;Timeout=2", "objstore-tests");
        GitObjectId tree;
        string workspaceId;
        using (var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options, null, null, new PackCache(dead, options.WorkspacesDirectory, 1L << 30)))
        {
            workspaceId = Path.GetFileName(workspace.Store.GitDir);
            tree = workspace.Snapshot(TestContext.Current.CancellationToken).Tree;
            var failure = Assert.Throws<ObjectBackendException>(() => workspace.Store.Backed!.Publish(TestContext.Current.CancellationToken));
            Assert.Equal(EngineError.BackendUnavailable, failure.Error);
            Assert.Contains("postgres object store", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("secret-password", failure.Message, StringComparison.Ordinal);
        }

        // The same directory with the backend back: the loose objects are stored now, and read by a cold cache.
        var live = new PackCache(_backend, options.WorkspacesDirectory, 1L << 30);
        var published = live.Open(workspaceId).Backed!.Publish(TestContext.Current.CancellationToken);
        Assert.Equal(1, published.Packs);
        Assert.True(published.Objects >= 2);
        var cold = new PackCache(_backend, _temp.Combine("silo-b", "workspaces"), 1L << 30).Open(workspaceId);
        Assert.Equal("a.txt", Assert.Single(cold.ReadTree(tree)).Name);
    }

    [Fact]
    public async Task Collection_consolidates_the_backends_packs_drops_what_no_kept_snapshot_reaches_and_a_stale_cache_still_reads()
    {
        var ct = TestContext.Current.CancellationToken;
        var work = Directory.CreateDirectory(_temp.Combine("work")).FullName;
        var options = Options(_temp.Combine("silo-a"));
        var writer = new PackCache(_backend, options.WorkspacesDirectory, 1L << 30);
        var trees = new List<GitObjectId>();
        var logs = new List<string>();
        using var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options, null, null, writer);
        var store = workspace.Store;
        var workspaceId = Path.GetFileName(store.GitDir);
        for (var turn = 0; turn < 6; turn++)
        {
            // An append-only log (each version a delta of the previous one at best) and, in the first two turns, a scratch file.
            logs.Add((turn == 0 ? "" : logs[^1]) + Lines(5_000, $"turn {turn}"));
            File.WriteAllText(Path.Combine(work, "log.txt"), logs[^1]);
            if (turn < 2) File.WriteAllText(Path.Combine(work, "scratch.txt"), $"scratch {turn}\n");
            else File.Delete(Path.Combine(work, "scratch.txt"));
            trees.Add(workspace.Snapshot(ct).Tree);
            store.Backed!.Publish(ct);
        }
        var scratch = store.ReadTree(trees[0]).Single(e => e.Name == "scratch.txt").Id;
        // What a publish killed between its pack and its index left, and what a torn upload left.
        await _backend.PutAsync(workspaceId, "pack-0000000000000000000000000000000000000000.pack", new MemoryStream(new byte[100]), 100, ct);
        await Assert.ThrowsAsync<IOException>(() => _backend.PutAsync(workspaceId, "pack-torn.pack", new FailingAfter(new MemoryStream(new byte[2 << 20]), 1 << 20), 2 << 20, ct));
        var before = await _backend.ListAsync(workspaceId, ct);
        Assert.Equal(6 * 2 + 1, before.Count);

        // Another silo's cache lists the six packs now, and reads the newest snapshot's log from them.
        var stale = new PackCache(_backend, _temp.Combine("silo-b", "workspaces"), 1L << 30).Open(workspaceId);
        Assert.Equal(logs[^1], ReadText(stale, trees[^1], "log.txt"));

        // Keep the last four snapshots: the first two (and the scratch file) go.
        var result = StoreCollector.Collect(store, trees[2..], [], TimeSpan.Zero, cancellationToken: ct);
        Assert.True(result.ObjectsDeleted > 0);
        var after = await _backend.ListAsync(workspaceId, ct);
        Assert.All(after, f => Assert.Matches("^pack-[0-9a-f]{40}\\.(pack|idx)$", f.Name));
        Assert.Equal(2, after.Count);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM snapshots_object_upload"));

        // git reads the kept snapshots from the backend's pack alone; the dropped scratch file is gone from it.
        var gitDir = CopyOfBackend(workspaceId);
        Git.Run(gitDir, "--git-dir", gitDir, "fsck", "--no-dangling", "--connectivity-only");
        Assert.Equal(logs[^1], Git.Run(gitDir, "--git-dir", gitDir, "show", trees[^1].ToHex() + ":log.txt"));
        Assert.Equal(logs[2], Git.Run(gitDir, "--git-dir", gitDir, "show", trees[2].ToHex() + ":log.txt"));
        Assert.Throws<InvalidOperationException>(() => Git.Run(gitDir, "--git-dir", gitDir, "cat-file", "-e", scratch.ToHex()));

        // As small as the local store's collection makes it: within 1.5x of git repack -adf of the same snapshots.
        for (var turn = 2; turn < 6; turn++) Git.Run(gitDir, "--git-dir", gitDir, "update-ref", $"refs/kept/{turn}", trees[turn].ToHex());
        Git.Run(gitDir, "--git-dir", gitDir, "repack", "-adfq");
        var gitBytes = Directory.EnumerateFiles(Path.Combine(gitDir, "objects", "pack"), "*.pack").Sum(f => new FileInfo(f).Length);
        var ourBytes = after.Single(f => f.Name.EndsWith(".pack", StringComparison.Ordinal)).Length;
        Assert.True(ourBytes <= gitBytes * 3 / 2, $"the backend's pack holds {ourBytes} bytes, git repack -adf {gitBytes}");

        // The stale cache still names packs the backend no longer has: it reads every kept snapshot anyway.
        for (var turn = 2; turn < 6; turn++)
        {
            Assert.Equal(logs[turn], ReadText(stale, trees[turn], "log.txt"));
        }
    }

    private static string ReadText(ObjectStore store, GitObjectId tree, string name)
    {
        using var blob = store.OpenBlob(store.ReadTree(tree).Single(e => e.Name == name).Id);
        using var reader = new StreamReader(blob);
        return reader.ReadToEnd();
    }

    [Fact]
    public void A_caches_running_count_equals_a_fresh_count_of_what_it_holds()
    {
        var ct = TestContext.Current.CancellationToken;
        var work = Directory.CreateDirectory(_temp.Combine("work-count")).FullName;
        var options = Options(_temp.Combine("silo-count"));
        var writer = new PackCache(_backend, options.WorkspacesDirectory, 1L << 30);
        var trees = new List<GitObjectId>();
        using (var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options, null, null, writer))
        {
            // Eight publishes, each a new pack opened into the count (the count used to be summed again each time).
            for (var i = 0; i < 8; i++)
            {
                File.WriteAllText(Path.Combine(work, $"f{i % 3}.txt"), Lines(2000 + (i * 500), $"turn{i}"));
                trees.Add(workspace.Snapshot(ct).Tree);
                Assert.Equal(1, workspace.Store.Backed!.Publish(ct).Packs);
            }
        }
        Assert.True(writer.Bytes > 0);
        Assert.Equal(new PackCache(_backend, options.WorkspacesDirectory, 1L << 30).Bytes, writer.Bytes);

        // A cold cache fetching ranges as it reads (its count grows read by read) against a fresh count of its maps.
        var coldDirectory = _temp.Combine("silo-count-cold", "workspaces");
        var cold = new PackCache(_backend, coldDirectory, 1L << 30);
        var store = cold.Open(Path.GetFileName(Directory.EnumerateDirectories(options.WorkspacesDirectory).Single()));
        foreach (var entry in trees.Take(5).SelectMany(store.ReadTree))
        {
            using var blob = store.OpenBlob(entry.Id);
            blob.CopyTo(Stream.Null);
        }
        Assert.True(cold.Bytes > 0);
        Assert.Equal(new PackCache(_backend, coldDirectory, 1L << 30).Bytes, cold.Bytes);
    }

    [Theory]
    [InlineData(".pack")]
    [InlineData(".idx")]
    public void A_cached_pack_torn_by_a_crash_is_fetched_again_from_the_backend(string tornFile)
    {
        var work = Directory.CreateDirectory(_temp.Combine("work-torn" + tornFile)).FullName;
        File.WriteAllText(Path.Combine(work, "a.txt"), "one\ntwo\nthree\n");
        File.WriteAllText(Path.Combine(work, "big.txt"), Lines(2_000, "v1"));
        var dataDir = _temp.Combine("silo-torn" + tornFile);
        var (first, second, workspaceId) = TrackTwice(work, dataDir);
        var workspaces = Options(dataDir).WorkspacesDirectory;
        var packDirectory = Path.Combine(workspaces, workspaceId, "objects", "pack");

        // The machine crashed before the page cache reached the disk: part of each cached (unsynced) file is zeros.
        var torn = Directory.EnumerateFiles(packDirectory, "pack-*" + tornFile).ToList();
        Assert.Equal(2, torn.Count);
        foreach (var file in torn)
        {
            var bytes = File.ReadAllBytes(file);
            Array.Clear(bytes, bytes.Length / 2, Math.Min(64, bytes.Length / 4));
            File.WriteAllBytes(file, bytes);
            // A restarted silo has none of the process's opened packs.
            PackSet.Forget(Path.ChangeExtension(file, ".idx"));
        }

        var restarted = new PackCache(_backend, workspaces, 1L << 30).Open(workspaceId);
        var summary = new DiffSummaryBuilder(restarted, new SummaryOptions()).Summarize(first, second);
        Assert.Equal(2, summary.FileCount);
        Assert.Equal(40_000 + 1, summary.Additions);
        Assert.Equal(2_000, summary.Deletions);
        using (var blob = restarted.OpenBlob(restarted.ReadTree(second).Single(e => e.Name == "a.txt").Id))
        using (var reader = new StreamReader(blob))
        {
            Assert.Equal("one\ntwo\nthree\nfour\n", reader.ReadToEnd());
        }
        // The damaged copies were replaced by the backend's.
        foreach (var index in Directory.EnumerateFiles(packDirectory, "pack-*.idx"))
        {
            using var opened = PackIndex.Open(index);
        }
        Assert.All(restarted.ReadTree(first).Concat(restarted.ReadTree(second)), e => Assert.True(restarted.Contains(e.Id)));
    }

    private (GitObjectId First, GitObjectId Second, string WorkspaceId) TrackTwice(string work, string dataDir)
    {
        var options = Options(dataDir);
        var cache = new PackCache(_backend, options.WorkspacesDirectory, 1L << 30);
        using var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options, null, null, cache);
        var first = workspace.Snapshot(TestContext.Current.CancellationToken).Tree;
        Assert.Equal(1, workspace.Store.Backed!.Publish(TestContext.Current.CancellationToken).Packs);
        File.AppendAllText(Path.Combine(work, "a.txt"), "four\n");
        File.WriteAllText(Path.Combine(work, "big.txt"), Lines(40_000, "v2"));
        var second = workspace.Snapshot(TestContext.Current.CancellationToken).Tree;
        Assert.Equal(1, workspace.Store.Backed!.Publish(TestContext.Current.CancellationToken).Packs);
        // Published: no loose object is left, and the packs are cached here.
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(workspace.Store.GitDir, "objects"), "??").SelectMany(Directory.EnumerateFiles));
        return (first, second, Path.GetFileName(workspace.Store.GitDir));
    }

    private SnapshotsOptions Options(string dataDir) => new() { DataDir = dataDir, WorkspaceRoots = [WorkspaceIdentity.RealPath(_temp.Path)!], Watch = new WatchOptions { Enabled = false } };

    /// <summary>A bare repository holding exactly the backend's files of the store.</summary>
    private string CopyOfBackend(string workspaceId)
    {
        var gitDir = _temp.Combine("git-copy");
        Git.Run(_temp.Path, "init", "-q", "--bare", gitDir);
        var ct = TestContext.Current.CancellationToken;
        foreach (var file in _backend.ListAsync(workspaceId, ct).GetAwaiter().GetResult())
        {
            var bytes = new byte[file.Length];
            for (var read = 0; read < bytes.Length;)
            {
                read += _backend.ReadAsync(workspaceId, file.Name, read, bytes.AsMemory(read), ct).GetAwaiter().GetResult();
            }
            File.WriteAllBytes(Path.Combine(gitDir, "objects", "pack", file.Name), bytes);
        }
        return gitDir;
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private static string Lines(int count, string tag)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++) text.Append(tag).Append(" line ").Append(i).Append('\n');
        return text.ToString();
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>A source that breaks off part way (a silo killed, a disk failing) while a pack is uploaded.</summary>
    private sealed class FailingAfter(Stream inner, long failAfter) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= failAfter) throw new IOException("The source broke off.");
            var n = inner.Read(buffer, offset, (int)Math.Min(count, failAfter - _read));
            _read += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
