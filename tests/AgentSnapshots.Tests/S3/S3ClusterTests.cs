using System.Net;
using System.Text.Json;
using Amazon.S3.Model;
using AgentSnapshots.Tests.Cluster;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.S3;

/// <summary>
/// Silos as processes with <c>Snapshots:ObjectStore</c> = s3 against the real S3-compatible server, credentials from
/// the standard AWS environment variables, each silo with a <c>DataDir</c> of its own: the packs are objects in the
/// bucket (collected there too), a silo killed with its <c>DataDir</c> deleted loses no snapshot, and the S3 server going away during a track
/// answers 503 (code backendUnavailable), records nothing, and the next track after it is back works.
/// </summary>
[Collection(S3CollectionDefinition.Name)]
public sealed class S3ClusterTests(S3Server s3, PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Packs_live_in_the_bucket_and_a_silo_killed_with_its_data_dir_deleted_loses_no_snapshot()
    {
        using var temp = new TempDirectory("as-s3-cluster");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var (bucket, prefix) = ($"cluster-{Guid.NewGuid():N}"[..30], "agent-snapshots/test");
        var settings = Settings(bucket, prefix);
        var dataDirs = new[] { temp.Combine("data-1"), temp.Combine("data-2") };
        await using var first = await SiloProcess.StartAsync(dataDirs[0], root, root, settings);
        await using var second = await SiloProcess.StartAsync(dataDirs[1], root, root, settings);
        try
        {
            var workspaces = Enumerable.Range(0, 2).Select(i => Directory.CreateDirectory(Path.Combine(root, $"ws{i}")).FullName).ToArray();
            var hashes = new List<string>[workspaces.Length];
            using (var api = new ApiClient(first.HttpAddress, first.LocalKey))
            {
                for (var i = 0; i < workspaces.Length; i++)
                {
                    hashes[i] = [];
                    for (var step = 0; step < 3; step++)
                    {
                        WriteStep(workspaces[i], i, step);
                        hashes[i].Add(await TrackAsync(api, $"s3-{i}", workspaces[i]));
                    }
                }

                // Collection rewrites the first workspace's packs in the bucket (new pack put before the old deleted).
                (await api.PostAsync("/v1/sessions/s3-0/gc")).Ok();
            }

            // Each workspace's objects are packs and their indexes under <prefix>/<workspace id>/ in the bucket.
            using (var client = s3.CreateClient())
            {
                var keys = (await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }, Ct)).S3Objects.Select(o => o.Key).ToList();
                var stores = keys.Select(k => k.Split('/')).Where(p => p.Length == 4 && $"{p[0]}/{p[1]}" == prefix).GroupBy(p => p[2]).ToList();
                Assert.True(stores.Count == workspaces.Length, string.Join('\n', keys));
                Assert.All(stores, store =>
                {
                    Assert.Contains(store, p => p[3].StartsWith("pack-", StringComparison.Ordinal) && p[3].EndsWith(".pack", StringComparison.Ordinal));
                    Assert.Contains(store, p => p[3].StartsWith("pack-", StringComparison.Ordinal) && p[3].EndsWith(".idx", StringComparison.Ordinal));
                });
            }

            // The silo that holds the workspaces dies, and its disk with it.
            var victim = first.Output.Contains("opened for", StringComparison.Ordinal) ? first : second;
            var survivor = victim == first ? second : first;
            await victim.KillAsync();
            Directory.Delete(dataDirs[victim == first ? 0 : 1], recursive: true);

            // Through the CLI, which retries while the cluster notices the death (503 unavailable meanwhile).
            for (var i = 0; i < workspaces.Length; i++)
            {
                var history = (await CliJsonAsync(survivor, "history", "--session", $"s3-{i}", "--json")).GetProperty("snapshots").EnumerateArray()
                    .Select(s => s.GetProperty("hash").GetString()!).ToList();
                Assert.Equal(hashes[i], history);
                var diff = await CliJsonAsync(survivor, "diff", "--session", $"s3-{i}", "--from", hashes[i][0], "--to", hashes[i][^1], "--json");
                Assert.Equal(300 + 1, diff.GetProperty("additions").GetInt64());
                Assert.Equal(300 + 1, diff.GetProperty("deletions").GetInt64());

                await CliJsonAsync(survivor, "restore", "--session", $"s3-{i}", "--to", hashes[i][0], "--json");
                Assert.Equal(StepText(i, 0), await File.ReadAllTextAsync(Path.Combine(workspaces[i], "data.txt"), Ct));
                Assert.Equal(hashes[i][0], Git.WriteTreeOf(workspaces[i]));
            }
        }
        catch
        {
            TestContext.Current.SendDiagnosticMessage($"silo 1:\n{first.Output}\nsilo 2:\n{second.Output}\n{s3.Swift.Logs()}");
            throw;
        }
    }

    [Fact]
    public async Task The_s3_server_down_during_a_track_answers_503_records_nothing_and_the_next_track_works()
    {
        using var temp = new TempDirectory("as-s3-down");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var workspace = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), root, root, Settings($"down-{Guid.NewGuid():N}"[..30], ""));
        using var api = new ApiClient(silo.HttpAddress, silo.LocalKey);
        WriteStep(workspace, 0, 0);
        var kept = await TrackAsync(api, "down", workspace);

        WriteStep(workspace, 0, 1);
        s3.Swift.StopProxy();
        try
        {
            var failed = await api.PostAsync("/v1/sessions/down/snapshots", new { dir = workspace });
            var detail = failed.Problem(HttpStatusCode.ServiceUnavailable, "backendUnavailable");
            Assert.Contains("s3 object store", detail, StringComparison.Ordinal);
            Assert.DoesNotContain(ThrowawaySwift.SecretKey, detail, StringComparison.Ordinal);
            var history = (await api.GetAsync("/v1/sessions/down/snapshots")).Ok().GetProperty("snapshots").EnumerateArray()
                .Select(s => s.GetProperty("hash").GetString()!).ToList();
            Assert.Equal([kept], history);
        }
        finally
        {
            await s3.Swift.StartProxyAsync();
        }

        // The next track stores what the failed one could not, and is recorded.
        var next = await TrackAsync(api, "down", workspace);
        Assert.Equal(Git.WriteTreeOf(workspace), next);
        var diff = (await api.GetAsync($"/v1/sessions/down/diff?from={kept}&to={next}")).Ok();
        Assert.Equal(300 + 1, diff.GetProperty("additions").GetInt64());
        Assert.DoesNotContain(ThrowawaySwift.SecretKey, silo.Output, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Settings(string bucket, string prefix) => new(ProcessFailoverTests.FastDetection)
    {
        ["ConnectionStrings__Postgres"] = database.ConnectionString,
        ["Snapshots__ObjectStore"] = "s3",
        ["Snapshots__S3__ServiceUrl"] = s3.Swift.ServiceUrl,
        ["Snapshots__S3__Bucket"] = bucket,
        ["Snapshots__S3__Prefix"] = prefix,
        // The standard AWS sources, as an operator gives them.
        ["AWS_ACCESS_KEY_ID"] = ThrowawaySwift.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = ThrowawaySwift.SecretKey,
        ["AWS_REGION"] = "us-east-1",
        ["Auth__LocalKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Orleans__Tls__Disabled"] = "true",
    };

    private static async Task<JsonElement> CliJsonAsync(SiloProcess silo, params string[] args)
    {
        var run = await silo.RunCliAsync(args);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    private static async Task<string> TrackAsync(ApiClient api, string session, string workspace) =>
        (await api.PostAsync($"/v1/sessions/{session}/snapshots", new { dir = workspace })).Ok().GetProperty("hash").GetString()!;

    /// <summary>Step s rewrites the 300 lines of data.txt and replaces the previous step's note by its own.</summary>
    private static void WriteStep(string workspace, int session, int step)
    {
        File.WriteAllText(Path.Combine(workspace, "data.txt"), StepText(session, step));
        File.WriteAllText(Path.Combine(workspace, $"note-{step}.txt"), $"note {step}\n");
        if (step > 0)
        {
            File.Delete(Path.Combine(workspace, $"note-{step - 1}.txt"));
        }
    }

    private static string StepText(int session, int step) =>
        string.Concat(Enumerable.Range(0, 300).Select(n => $"s3 session {session} step {step} line {n}\n"));
}
