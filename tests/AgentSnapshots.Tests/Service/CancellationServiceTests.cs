namespace AgentSnapshots.Tests.Service;

/// <summary>A client that gives up cancels the work: a cancelled track records nothing, and the session goes on.</summary>
public sealed class CancellationServiceTests(ServiceClusterFixture fixture)
{
    [Fact]
    public async Task A_track_the_client_cancels_stops_and_records_nothing()
    {
        var dir = fixture.NewWorkspace("cancelled");
        for (var i = 0; i < 8_000; i++)
        {
            var sub = Path.Combine(dir, $"d{i % 40}");
            Directory.CreateDirectory(sub);
            File.WriteAllText(Path.Combine(sub, $"f{i}.txt"), $"file {i}\n");
        }
        var session = fixture.Grains.GetGrain<ISessionGrain>("cancelled");

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.TrackAsync(dir, "given up", cts.Token));

        // Nothing was recorded for the session, and the next track (from scratch) works.
        Assert.Empty((await session.HistoryAsync()).Snapshots);
        var taken = await session.TrackAsync(dir, "kept");
        Assert.Equal(8_000, taken.Files);
        Assert.Equal(["kept"], (await session.HistoryAsync()).Snapshots.Select(s => s.Label));
    }
}
