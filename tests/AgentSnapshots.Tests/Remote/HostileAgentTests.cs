using System.Net;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Remote;
using static AgentSnapshots.Tests.Remote.HostileAgent;

namespace AgentSnapshots.Tests.Remote;

/// <summary>
/// A hostile agent (a test-side client of the protocol) against a real silo: every violation fails the track with
/// 502 agentFailed saying what was wrong, records nothing, and leaves no object stored under a wrong id.
/// </summary>
[Collection(RemoteSiloGroup.Name)]
public sealed class HostileAgentTests(RemoteSiloFixture fixture)
{
    private static readonly byte[] s_good = Blob("the real content\n");
    private static readonly GitObjectId s_goodId = IdOf(GitObjectType.Blob, s_good);

    [Fact]
    public async Task An_object_whose_content_does_not_hash_to_its_id_is_refused()
    {
        var detail = await RefusedAsync("wrong-hash", async agent =>
        {
            Assert.Equal([s_goodId], await agent.OfferAsync(s_goodId));
            await agent.SendSmallAsync((s_goodId, Loose(GitObjectType.Blob, Blob("something else\n"))));
        });
        Assert.Contains("does not match its id", detail, StringComparison.Ordinal);
        Assert.False(File.Exists(LoosePath("wrong-hash", s_goodId)));
    }

    [Fact]
    public async Task A_truncated_object_is_refused()
    {
        var big = new byte[200_000];
        new Random(3).NextBytes(big);
        var id = IdOf(GitObjectType.Blob, big);
        var loose = Loose(GitObjectType.Blob, big);
        var detail = await RefusedAsync("truncated", async agent =>
        {
            await agent.OfferAsync(id);
            var ct = TestContext.Current.CancellationToken;
            var raw = new byte[20];
            id.WriteTo(raw);
            await agent.Frames.SendAsync(FrameKind.ObjectStart, raw, ct);
            await agent.Frames.SendAsync(FrameKind.ObjectData, loose.AsMemory(0, loose.Length / 2), ct);
            await agent.Frames.SendAsync(FrameKind.ObjectEnd, ReadOnlyMemory<byte>.Empty, ct);
        });
        Assert.True(detail.Contains("cut short", StringComparison.Ordinal) || detail.Contains("not a valid zlib stream", StringComparison.Ordinal), detail);
        Assert.False(File.Exists(LoosePath("truncated", id)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(fixture.StoreOf("truncated"), "objects"), "tmp_obj_*"));
    }

    [Theory]
    [InlineData("trailing-bytes")]
    [InlineData("no-trailer")]
    public async Task An_object_whose_zlib_stream_does_not_end_where_its_bytes_end_is_refused(string workspace)
    {
        // Larger than the receiver's hashing chunk (1 MiB), so it is hashed beside the inflater; the inflater itself
        // says nothing of a missing trailer or of bytes after it: the receiver's own check must.
        var big = new byte[2_500_000];
        new Random(5).NextBytes(big);
        var id = IdOf(GitObjectType.Blob, big);
        var loose = Loose(GitObjectType.Blob, big);
        byte[] sent = workspace == "no-trailer" ? loose[..^4] : [.. loose, 1, 2, 3];
        var detail = await RefusedAsync(workspace, async agent =>
        {
            await agent.OfferAsync(id);
            var ct = TestContext.Current.CancellationToken;
            var raw = new byte[20];
            id.WriteTo(raw);
            await agent.Frames.SendAsync(FrameKind.ObjectStart, raw, ct);
            for (var at = 0; at < sent.Length; at += 500_000) await agent.Frames.SendAsync(FrameKind.ObjectData, sent.AsMemory(at, Math.Min(500_000, sent.Length - at)), ct);
            await agent.Frames.SendAsync(FrameKind.ObjectEnd, ReadOnlyMemory<byte>.Empty, ct);
        });
        Assert.Contains("does not end where its zlib stream ends", detail, StringComparison.Ordinal);
        Assert.False(File.Exists(LoosePath(workspace, id)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(fixture.StoreOf(workspace), "objects"), "tmp_obj_*"));
    }

    [Fact]
    public async Task An_oversized_frame_closes_the_connection()
    {
        var detail = await RefusedAsync("oversized", agent => agent.SendRawAsync(new byte[Frames.MaxPayloadBytes + 2]));
        Assert.Contains("larger than", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tree_naming_an_object_never_sent_is_refused()
    {
        var tree = Tree(("100644", "a.txt", s_goodId));
        var treeId = IdOf(GitObjectType.Tree, tree);
        var detail = await RefusedAsync("unsent", async agent =>
        {
            await agent.OfferAsync(treeId);
            await agent.SendSmallAsync((treeId, Loose(GitObjectType.Tree, tree)));
        });
        Assert.Contains("never sent", detail, StringComparison.Ordinal);
        Assert.False(File.Exists(LoosePath("unsent", treeId)));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".git")]
    [InlineData("a/../../etc")]
    public async Task A_tree_with_an_unsafe_name_is_refused(string name)
    {
        var tree = Tree(("100644", name, s_goodId));
        var treeId = IdOf(GitObjectType.Tree, tree);
        var workspace = "unsafe-" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(name)).ToLowerInvariant();
        var detail = await RefusedAsync(workspace, async agent =>
        {
            await agent.OfferAsync(s_goodId, treeId);
            await agent.SendSmallAsync((s_goodId, Loose(GitObjectType.Blob, s_good)), (treeId, Loose(GitObjectType.Tree, tree)));
        });
        Assert.Contains("no workspace path may have", detail, StringComparison.Ordinal);
        Assert.False(File.Exists(LoosePath(workspace, treeId)));
    }

    [Fact]
    public async Task A_result_naming_a_tree_never_sent_is_refused()
    {
        var tree = Tree(("100644", "a.txt", s_goodId));
        var detail = await RefusedAsync("unsent-result", async agent =>
        {
            await agent.OfferAsync();
            await agent.Frames.SendJsonAsync(FrameKind.Done, new AgentReply(IdOf(GitObjectType.Tree, tree).ToHex(), 1, 0, [], 0, 0), RemoteJson.Default.AgentReply,
                TestContext.Current.CancellationToken);
        });
        Assert.Contains("never sent", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_object_not_wanted_is_refused()
    {
        var detail = await RefusedAsync("unwanted", async agent =>
        {
            await agent.OfferAsync();
            await agent.SendSmallAsync((s_goodId, Loose(GitObjectType.Blob, s_good)));
        });
        Assert.Contains("SmallObjects", detail, StringComparison.Ordinal);
        Assert.False(File.Exists(LoosePath("unwanted", s_goodId)));
    }

    [Fact]
    public async Task A_later_round_is_verified_as_the_first_and_a_round_left_incomplete_records_nothing()
    {
        var other = Blob("offered in the second round, never sent\n");
        var otherId = IdOf(GitObjectType.Blob, other);
        var tree = Tree(("100644", "a.txt", s_goodId), ("100644", "b.txt", otherId));
        var treeId = IdOf(GitObjectType.Tree, tree);
        var detail = await RefusedAsync("rounds", async agent =>
        {
            var command = agent.LastCommand!;
            Assert.True(command.EarlyBlobs, "the silo takes rounds");
            // Round 1, as an agent's snapshot sends a large blob early: verified and stored.
            Assert.Equal([s_goodId], await agent.OfferAsync(s_goodId));
            await agent.SendSmallAsync((s_goodId, Loose(GitObjectType.Blob, s_good)));
            // Round 2: the stored blob is not wanted again; the other one is, but the reply comes instead.
            Assert.Equal([otherId, treeId], await agent.OfferAsync(s_goodId, otherId, treeId));
            await agent.Frames.SendJsonAsync(FrameKind.Done, new AgentReply(treeId.ToHex(), 2, 0, [], 1, 0), RemoteJson.Default.AgentReply,
                TestContext.Current.CancellationToken);
        });
        Assert.Contains("Done", detail, StringComparison.Ordinal);
        Assert.True(File.Exists(LoosePath("rounds", s_goodId)), "round 1's verified blob stays (it names nothing)");
        Assert.False(File.Exists(LoosePath("rounds", treeId)));
    }

    /// <summary>Tracks session <paramref name="workspace"/> bound to the hostile agent's workspace; returns the 502's detail after checking nothing was recorded.</summary>
    private async Task<string> RefusedAsync(string workspace, Func<HostileAgent, Task> misbehave)
    {
        string detail;
        await using (var agent = await ConnectAsync(fixture.Silo, workspace))
        {
            var track = fixture.Api.PostAsync($"/v1/sessions/{workspace}/snapshots", System.Text.Json.JsonSerializer.Serialize(new { workspace }));
            var command = await agent.ReceiveCommandAsync();
            Assert.Equal("track", command.Verb);
            await misbehave(agent);
            var reply = await track;
            detail = reply.Problem(HttpStatusCode.BadGateway, "agentFailed");
            Assert.Contains("nothing was recorded", detail, StringComparison.Ordinal);
        }
        var history = (await fixture.Api.GetAsync($"/v1/sessions/{workspace}/snapshots")).Json;
        Assert.True(!history.TryGetProperty("snapshots", out var snapshots) || snapshots.GetArrayLength() == 0, history.ToString());
        return detail;
    }

    private string LoosePath(string workspace, GitObjectId id) => ObjectStore.Open(fixture.StoreOf(workspace)).LoosePath(id);
}
