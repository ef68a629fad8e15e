using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSnapshots.Tests.Service;

/// <summary>A cluster that verifies the watcher's view after every 3 tracks, and never for idleness.</summary>
public sealed class VerifyByCountCluster : ServiceClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Snapshots:Watch:VerifyEvery"] = "3",
        ["Snapshots:Watch:VerifyAfterIdle"] = "00:00:00",
    };
}

/// <summary>A cluster that verifies the watcher's view of a workspace idle for a second, and never by count.</summary>
public sealed class VerifyWhenIdleCluster : ServiceClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Snapshots:Watch:VerifyEvery"] = "0",
        ["Snapshots:Watch:VerifyAfterIdle"] = "00:00:01",
    };
}

/// <summary>
/// The silo runs the watcher's self-check by itself: a change the watcher missed (its directory's kernel watch
/// removed behind the engine's back) stays missed track after track until a verification finds it; then the next
/// track walks in full and gives git's tree.
/// </summary>
public static class WatchVerificationService
{
    /// <summary>Plants a miss in a tracked workspace; returns its session and directory.</summary>
    public static async Task<(ISessionGrain Session, string Dir)> PlantMissAsync(ServiceClusterFixture fixture, string name)
    {
        var dir = fixture.NewWorkspace(name);
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        File.WriteAllText(Path.Combine(dir, "a", "one.txt"), "1");
        var session = fixture.Cluster.Client.GetGrain<ISessionGrain>(name);
        await session.TrackAsync(dir, null);
        var watches = fixture.Cluster.GetSiloServiceProvider().GetRequiredService<WatchRegistry>();
        var watch = watches.WatchOf(WorkspaceIdentity.RealPath(dir)!) ?? throw new InvalidOperationException("the workspace holds no watches");
        watch.DropKernelWatch("a");
        File.WriteAllText(Path.Combine(dir, "a", "missed.txt"), "no event for this one");
        return (session, dir);
    }

    /// <summary>Tracks (<paramref name="pause"/> apart) until the snapshot is git's tree (true), or the time is up (false).</summary>
    public static async Task<bool> TracksUntilHealedAsync(ISessionGrain session, string dir, TimeSpan pause, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        var expected = Git.WriteTreeOf(dir);
        do
        {
            if ((await session.TrackAsync(dir, null)).Hash == expected) return true;
            await Task.Delay(pause);
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }
}

public sealed class WatchVerificationByCountTests(VerifyByCountCluster fixture) : IClassFixture<VerifyByCountCluster>
{
    [Fact]
    public async Task A_miss_is_healed_after_VerifyEvery_tracks()
    {
        var (session, dir) = await WatchVerificationService.PlantMissAsync(fixture, "verify-count");
        var expected = Git.WriteTreeOf(dir);
        // Tracks 2 and 3 of the count: the watcher misses the file; the third starts a verification.
        Assert.NotEqual(expected, (await session.TrackAsync(dir, null)).Hash);
        Assert.NotEqual(expected, (await session.TrackAsync(dir, null)).Hash);
        Assert.True(await WatchVerificationService.TracksUntilHealedAsync(session, dir, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(20)), "no verification healed the missed file");
    }
}

public sealed class WatchVerificationWhenIdleTests(VerifyWhenIdleCluster fixture) : IClassFixture<VerifyWhenIdleCluster>
{
    [Fact]
    public async Task A_miss_is_healed_after_the_workspace_was_idle()
    {
        var (session, dir) = await WatchVerificationService.PlantMissAsync(fixture, "verify-idle");
        var expected = Git.WriteTreeOf(dir);
        Assert.NotEqual(expected, (await session.TrackAsync(dir, null)).Hash);
        // Idle for longer than VerifyAfterIdle, between tracks too (each track starts the idle time again).
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(await WatchVerificationService.TracksUntilHealedAsync(session, dir, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20)), "no verification healed the missed file");
    }
}
