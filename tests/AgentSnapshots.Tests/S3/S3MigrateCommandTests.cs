using Amazon.Runtime;
using Amazon.S3.Model;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage.S3;
using AgentSnapshots.Tests.ObjectStorage;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.S3;

/// <summary>
/// <c>agentsnapshots migrate --to s3</c>, the real CLI: a single node's local store (written by a real silo) copied
/// into a real S3-compatible server (Swift's s3api) under its own prefix, with the credentials of the standard AWS
/// sources (environment variables), verified, the local store untouched; bad input exits 2 with one line and writes
/// nothing to the bucket.
/// </summary>
[Collection(S3CollectionDefinition.Name)]
public sealed class S3MigrateCommandTests(S3Server server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What the CLI process needs to reach the server: the standard AWS variables, as a silo has them.</summary>
    private static readonly Dictionary<string, string?> Credentials = new()
    {
        ["AWS_ACCESS_KEY_ID"] = ThrowawaySwift.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = ThrowawaySwift.SecretKey,
        ["AWS_REGION"] = "us-east-1",
    };

    [Fact]
    public async Task A_single_nodes_stores_move_to_s3_verified_and_a_cold_cache_reads_them()
    {
        using var temp = new TempDirectory("as-migrate-s3");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var dataDir = temp.Combine("data");
        var (store, hashes) = await MigrateCommandTests.WriteSingleNodeAsync(dataDir, root);
        var before = MigrateCommandTests.Listing(store);
        var bucket = await server.CreateBucketAsync("migrate");
        var prefix = $"migrated/{Guid.NewGuid():N}";

        var migrate = await CliProcess.RunAsync(
            ["migrate", "--data-dir", dataDir, "--to", "s3", "--bucket", bucket, "--service-url", server.Swift.ServiceUrl, "--prefix", prefix], root, Credentials);

        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Matches(@"ws-[0-9a-f]{24}: \d+ packs, \d+ bytes stored, \d+ objects verified", migrate.Stdout);
        Assert.Matches(@"1 stores migrated to s3, [1-9]\d* objects verified\.", migrate.Stdout);
        Assert.Equal(before, MigrateCommandTests.Listing(store));

        // A cluster silo's cold cache, with the same settings, reads every snapshot and holds every local object.
        using var backend = new S3ObjectBackend(new S3Options { ServiceUrl = server.Swift.ServiceUrl, Bucket = bucket, Prefix = prefix },
            new BasicAWSCredentials(ThrowawaySwift.AccessKey, ThrowawaySwift.SecretKey));
        Assert.Equal([Path.GetFileName(store)], await backend.ListStoresAsync(Ct));
        var cold = new PackCache(backend, temp.Combine("cluster", "workspaces"), 1L << 30).Open(Path.GetFileName(store));
        foreach (var hash in hashes)
        {
            Assert.Contains(cold.ReadTree(GitObjectId.Parse(hash)), e => e.Name == "f.txt");
        }
        var local = ObjectStore.Open(store);
        Assert.All(local.EnumerateObjects(), id => Assert.True(cold.Contains(id), $"{id} is not in the migrated store"));
    }

    [Fact]
    public async Task Bad_s3_input_exits_2_with_what_to_do_and_writes_nothing()
    {
        using var temp = new TempDirectory("as-migrate-s3-bad");
        var dataDir = temp.Combine("data");
        Directory.CreateDirectory(Path.Combine(dataDir, "workspaces", "ws-0123456789abcdef01234567", "objects"));
        var bucket = await server.CreateBucketAsync("migrate-bad");

        await AssertBadInput(["migrate", "--data-dir", dataDir, "--to", "s3", "--service-url", server.Swift.ServiceUrl], "Snapshots:S3:Bucket is required");
        await AssertBadInput(["migrate", "--data-dir", dataDir, "--to", "s3", "--bucket", bucket, "--service-url", "ftp://example"], "is not an http:// or https:// address");
        await AssertBadInput(["migrate", "--data-dir", dataDir, "--to", "s3", "--bucket", bucket, "--service-url", server.Swift.ServiceUrl, "--prefix", "/abs"], "must not start with '/'");

        using var client = server.CreateClient();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }, Ct);
        Assert.Empty(listed.S3Objects ?? []);

        async Task AssertBadInput(string[] args, string expected)
        {
            var run = await CliProcess.RunAsync(args, temp.Path, Credentials);
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
            Assert.Contains("--bucket", run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', run.Stderr.TrimEnd());
        }
    }

    [Fact]
    public async Task An_unreachable_server_fails_with_exit_1_and_one_line()
    {
        using var temp = new TempDirectory("as-migrate-s3-down");
        var dataDir = temp.Combine("data");
        Directory.CreateDirectory(Path.Combine(dataDir, "workspaces", "ws-0123456789abcdef01234567", "objects"));

        var run = await CliProcess.RunAsync(
            ["migrate", "--data-dir", dataDir, "--to", "s3", "--bucket", "absent", "--service-url", $"http://127.0.0.1:{LoopbackPort.Free()}"], temp.Path, Credentials);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("could not be reached", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', run.Stderr.TrimEnd());
        Assert.DoesNotContain("stores migrated", run.Stdout, StringComparison.Ordinal);
    }
}
