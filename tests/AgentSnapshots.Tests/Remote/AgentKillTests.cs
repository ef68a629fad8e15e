using System.Net;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Remote;

/// <summary>
/// An agent SIGKILLed in the middle of sending a track's objects: the track fails, nothing is recorded, no partial
/// object is left in the store, and a new agent on the same directory and cache completes the next track sending
/// exactly the objects the silo still lacked (the bytes are counted: the agent's own total against the store's).
/// </summary>
[Collection(RemoteSiloGroup.Name)]
public sealed class AgentKillTests(RemoteSiloFixture fixture)
{
    private const string Name = "killed-agent";

    [Fact]
    public async Task A_killed_agent_records_nothing_and_the_next_track_sends_only_the_rest()
    {
        var (dir, cache) = fixture.NewSandbox();
        var store = fixture.StoreOf(Name);
        File.WriteAllText(Path.Combine(dir, "small.txt"), "bound first\n");
        const int bigFiles = 24;
        string first;
        Dictionary<string, long> before;
        var agent = await AgentProcess.StartAsync(fixture.Silo, Name, dir, cache);
        try
        {
            first = (await fixture.Api.PostAsync($"/v1/sessions/{Name}/snapshots", new { workspace = Name })).Ok().GetProperty("hash").GetString()!;

            // 24 incompressible files of 4 MiB: each streams on its own, so the store fills object by object.
            StoredObjects.WriteRandomFiles(dir, "big", bigFiles, 4 << 20, seed: 19);
            before = StoredObjects.In(store);
            var track = fixture.Api.PostAsync($"/v1/sessions/{Name}/snapshots", new { workspace = Name });
            Assert.True(await StoredObjects.KillMidTransferAsync(store, before.Count, track, () =>
            {
                agent.KillHard();
                return Task.CompletedTask;
            }), "the track ended before the agent could be killed mid-transfer");
            var failed = await track;
            Assert.True(failed.Status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, failed.ToString());
        }
        finally
        {
            await agent.DisposeAsync();
        }

        var history = (await fixture.Api.GetAsync($"/v1/sessions/{Name}/snapshots")).Ok().GetProperty("snapshots");
        Assert.Equal([first], history.EnumerateArray().Select(s => s.GetProperty("hash").GetString()));
        Assert.Empty(StoredObjects.Temporary(store));
        var afterKill = StoredObjects.In(store);

        // A new agent on the same directory and cache (the sandbox survived, the process did not).
        await using var second = await AgentProcess.StartAsync(fixture.Silo, Name, dir, cache);
        var hash = (await fixture.Api.PostAsync($"/v1/sessions/{Name}/snapshots", new { workspace = Name })).Ok().GetProperty("hash").GetString();
        Assert.Equal(Git.WriteTreeOf(dir), hash);
        var complete = StoredObjects.In(store);
        var rest = complete.Keys.Except(afterKill.Keys).ToList();
        var storedMidTransfer = afterKill.Count - before.Count;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"stored before the kill: {storedMidTransfer} of {bigFiles + 1} objects; the new agent sent {second.SentObjects} objects, {second.SentBytes} bytes");
        Assert.InRange(storedMidTransfer, 1, bigFiles);
        // Exactly the rest crossed the wire: the blobs not yet stored and the tree naming them.
        Assert.Equal(bigFiles + 1 - storedMidTransfer, rest.Count);
        Assert.Equal(rest.Count, second.SentObjects);
        Assert.Equal(rest.Sum(id => complete[id]), second.SentBytes);
    }
}
