using System.Text.RegularExpressions;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Remote;

/// <summary>
/// Remote workspaces end to end, with real processes: a silo that cannot read the agents' directories, agents started
/// as the CLI's <c>agent</c> verb, and the HTTP API. Every tree recorded through an agent is git's tree of the
/// directory; a new agent on an empty directory restores any recorded snapshot; no agent is a 503 to retry.
/// </summary>
[Collection(RemoteSiloGroup.Name)]
public sealed class RemoteWorkspaceTests(RemoteSiloFixture fixture)
{
    private static string Body(object value) => System.Text.Json.JsonSerializer.Serialize(value);

    [Fact]
    public async Task Every_tree_tracked_through_the_agent_is_gits_tree_of_the_directory_over_random_edits()
    {
        var (dir, cache) = fixture.NewSandbox();
        await using var agent = await AgentProcess.StartAsync(fixture.Silo, "random-edits", dir, cache);
        var random = new Random(1919);
        var edits = new RandomEdits(dir, random);
        for (var step = 0; step < 25; step++)
        {
            edits.Apply(random.Next(1, 6));
            var reply = await fixture.Api.PostAsync("/v1/sessions/random-edits/snapshots", Body(new { workspace = "random-edits", label = $"step {step}" }));
            var hash = reply.Ok().GetProperty("hash").GetString();
            Assert.True(Git.WriteTreeOf(dir) == hash, $"step {step}: the agent's tree {hash} is not git's tree of the directory\n{agent.Log}");
        }
        // The silo's own store holds every snapshot whole: git reads the last one there.
        var history = (await fixture.Api.GetAsync("/v1/sessions/random-edits/snapshots")).Ok();
        Assert.Equal("workspace:random-edits", history.GetProperty("workspace").GetString());
        var last = history.GetProperty("snapshots").EnumerateArray().Last().GetProperty("hash").GetString()!;
        Git.Run(fixture.DataDir, "--git-dir", fixture.StoreOf("random-edits"), "ls-tree", "-r", last);
    }

    [Fact]
    public async Task Large_blobs_go_while_the_snapshot_is_taken_and_the_trees_round_sends_only_the_rest()
    {
        const string name = "early-blobs";
        var (dir, cache) = fixture.NewSandbox();
        await using var agent = await AgentProcess.StartAsync(fixture.Silo, name, dir, cache);
        // 6 blobs from 1 MiB up (sent as the snapshot writes them), and small files (in the tree's round).
        StoredObjects.WriteRandomFiles(dir, "big", 6, 1 << 20, seed: 7);
        Directory.CreateDirectory(Path.Combine(dir, "src"));
        for (var i = 0; i < 20; i++) File.WriteAllText(Path.Combine(dir, "src", $"f{i}.txt"), $"small {i}\n");
        var first = (await fixture.Api.PostAsync($"/v1/sessions/{name}/snapshots", Body(new { workspace = name }))).Ok().GetProperty("hash").GetString();
        Assert.Equal(Git.WriteTreeOf(dir), first);
        // 6 early + 20 small blobs + 2 trees.
        Assert.Equal((28, 6), LastSent(agent.Log));

        // One large file changed: it alone goes early; the tree's round sends the two trees naming it (root, nothing else).
        StoredObjects.WriteRandomFiles(dir, "big", 1, 1 << 20, seed: 8);
        var second = (await fixture.Api.PostAsync($"/v1/sessions/{name}/snapshots", Body(new { workspace = name }))).Ok().GetProperty("hash").GetString();
        Assert.Equal(Git.WriteTreeOf(dir), second);
        Assert.Equal((2, 1), LastSent(agent.Log));
        var history = (await fixture.Api.GetAsync($"/v1/sessions/{name}/snapshots")).Ok().GetProperty("snapshots");
        Assert.Equal([first, second], history.EnumerateArray().Select(s => s.GetProperty("hash").GetString()));
        Git.Run(fixture.DataDir, "--git-dir", fixture.StoreOf(name), "ls-tree", "-r", second!);
    }

    /// <summary>The agent's last "Sent tree" line: objects sent, and how many of them during the snapshot.</summary>
    private static (int Sent, int Early) LastSent(string log)
    {
        var last = Regex.Matches(log, @"objects offered, (\d+) sent \(\d+ bytes; (\d+) of them during the snapshot")[^1];
        return (int.Parse(last.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(last.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_new_agent_on_an_empty_directory_restores_any_recorded_snapshot_there()
    {
        var (dir, cache) = fixture.NewSandbox();
        var hashes = new List<string>();
        await using (var first = await AgentProcess.StartAsync(fixture.Silo, "sandbox-moves", dir, cache))
        {
            var edits = new RandomEdits(dir, new Random(7));
            for (var step = 0; step < 3; step++)
            {
                edits.Apply(6);
                // Small files too: they cross in batches and the new agent holds them in memory until it has written them.
                Directory.CreateDirectory(Path.Combine(dir, "notes", $"step{step}"));
                for (var i = 0; i < 20; i++) File.WriteAllText(Path.Combine(dir, "notes", $"step{step}", $"note{i}.txt"), $"note {i} of step {step}\n");
                var reply = await fixture.Api.PostAsync("/v1/sessions/sandbox-moves/snapshots", Body(new { workspace = "sandbox-moves" }));
                hashes.Add(reply.Ok().GetProperty("hash").GetString()!);
            }
        }

        // The sandbox is gone; a new one starts empty on another "host" (another directory, another cache).
        var (fresh, freshCache) = fixture.NewSandbox();
        await using var second = await AgentProcess.StartAsync(fixture.Silo, "sandbox-moves", fresh, freshCache);
        foreach (var hash in new[] { hashes[0], hashes[2] })
        {
            var restored = (await fixture.Api.PostAsync("/v1/sessions/sandbox-moves/restore", Body(new { to = hash }))).Ok();
            Assert.Equal(hash, restored.GetProperty("to").GetString());
            Assert.Equal(hash, Git.WriteTreeOf(fresh));
        }
        // A restore sends only what the directory lacks: going from snapshot 3 back to 3 sends nothing more.
        var before = second.SentBytes;
        (await fixture.Api.PostAsync("/v1/sessions/sandbox-moves/restore", Body(new { to = hashes[2] }))).Ok();
        Assert.Equal(hashes[2], Git.WriteTreeOf(fresh));
        Assert.Equal(before, second.SentBytes);
        // The cache keeps trees and the stat index, not a second copy of the files.
        var cached = Directory.EnumerateFiles(freshCache, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var files = Directory.EnumerateFiles(fresh, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(cached < files / 2 + 64 * 1024, $"the agent's cache holds {cached} bytes for {files} bytes of files");
        // The small blobs were held by the agent (in memory, packs beyond a bound), gone once the files were written.
        var restores = second.Log.Split('\n').Where(l => l.Contains("small blobs of them held", StringComparison.Ordinal)).ToList();
        Assert.True(restores.Exists(l => Regex.IsMatch(l, @", [1-9]\d* small blobs of them held\)")), string.Join('\n', restores));
        Assert.Empty(Directory.EnumerateFiles(freshCache, "*.pack", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Without_an_agent_tracking_is_a_503_to_retry_while_history_needs_no_agent()
    {
        var (dir, cache) = fixture.NewSandbox();
        File.WriteAllText(Path.Combine(dir, "a.txt"), "one\n");
        await using (var agent = await AgentProcess.StartAsync(fixture.Silo, "goes-away", dir, cache))
        {
            (await fixture.Api.PostAsync("/v1/sessions/goes-away/snapshots", Body(new { workspace = "goes-away" }))).Ok();
        }
        await Task.Delay(500);
        var offline = await fixture.Api.PostAsync("/v1/sessions/goes-away/snapshots", "{}");
        var detail = offline.Problem(HttpStatusCode.ServiceUnavailable, "workspaceOffline");
        Assert.Contains("agentsnapshots agent --workspace goes-away", detail, StringComparison.Ordinal);
        Assert.True(offline.Headers.RetryAfter is not null, offline.ToString());
        var history = (await fixture.Api.GetAsync("/v1/sessions/goes-away/snapshots")).Ok();
        Assert.Single(history.GetProperty("snapshots").EnumerateArray());
        (await fixture.Api.GetAsync("/v1/sessions/goes-away/usage")).Ok();
        var never = await fixture.Api.PostAsync("/v1/sessions/never-served/snapshots", Body(new { workspace = "nobody-serves-this" }));
        never.Problem(HttpStatusCode.ServiceUnavailable, "workspaceOffline");
    }

    [Fact]
    public async Task Bad_workspace_requests_are_refused_and_change_nothing()
    {
        (await fixture.Api.PostAsync("/v1/sessions/bad-names/snapshots", Body(new { workspace = "../etc" }))).Problem(HttpStatusCode.BadRequest, "malformedId");
        (await fixture.Api.PostAsync("/v1/sessions/bad-names/snapshots", Body(new { workspace = "w", dir = "/tmp" }))).Problem(HttpStatusCode.BadRequest, "invalidField");
        var (dir, cache) = fixture.NewSandbox();
        var run = await fixture.Silo.RunCliAsync("agent", "--workspace", "no/slash", "--dir", dir, "--cache-dir", cache);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--workspace 'no/slash' is not accepted", run.Stderr, StringComparison.Ordinal);
        // A session bound to one workspace is not rebound to another.
        File.WriteAllText(Path.Combine(dir, "x"), "x");
        await using var agent = await AgentProcess.StartAsync(fixture.Silo, "bound-one", dir, cache);
        (await fixture.Api.PostAsync("/v1/sessions/bound/snapshots", Body(new { workspace = "bound-one" }))).Ok();
        (await fixture.Api.PostAsync("/v1/sessions/bound/snapshots", Body(new { workspace = "bound-two" }))).Problem(HttpStatusCode.Conflict, "workspaceMismatch");
    }

    [Fact]
    public async Task The_sdk_binds_a_session_to_a_remote_workspace_and_tracks_through_its_agent()
    {
        var (dir, cache) = fixture.NewSandbox();
        File.WriteAllText(Path.Combine(dir, "a.txt"), "through the SDK\n");
        await using var agent = await AgentProcess.StartAsync(fixture.Silo, "sdk-bound", dir, cache);
        using var host = Cluster.OneNodeGatewayTests.SdkHost(fixture.Silo.GatewayPort);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var sdk = host.Services.GetRequiredService<AgentSnapshots.Client.IAgentSnapshotsClient>();
        var first = await sdk.TrackWorkspaceAsync("sdk-bound", "sdk-bound", "first", TestContext.Current.CancellationToken);
        Assert.Equal(Git.WriteTreeOf(dir), first.Hash);
        File.WriteAllText(Path.Combine(dir, "b.txt"), "second\n");
        // Bound now: a track without a directory goes through the agent as well.
        var second = await sdk.TrackAsync("sdk-bound", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Git.WriteTreeOf(dir), second.Hash);
        Assert.Equal("workspace:sdk-bound", (await sdk.HistoryAsync("sdk-bound", TestContext.Current.CancellationToken)).Workspace);
        var offline = await Assert.ThrowsAsync<SnapshotServiceException>(() => sdk.TrackWorkspaceAsync("sdk-unserved", "nobody-serves-this", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ServiceError.WorkspaceOffline, offline.Error);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_new_agent_for_the_same_name_replaces_the_old_which_stops()
    {
        var (dir, cache) = fixture.NewSandbox();
        var (other, otherCache) = fixture.NewSandbox();
        File.WriteAllText(Path.Combine(other, "second.txt"), "second\n");
        await using var first = await AgentProcess.StartAsync(fixture.Silo, "replaced", dir, cache);
        await using var second = await AgentProcess.StartAsync(fixture.Silo, "replaced", other, otherCache);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var hash = (await fixture.Api.PostAsync("/v1/sessions/replaced/snapshots", Body(new { workspace = "replaced" }))).Ok().GetProperty("hash").GetString();
        Assert.Equal(Git.WriteTreeOf(other), hash);
    }
}
