using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Cli;

/// <summary>
/// A restore whose connection is lost (a proxy in front of the real silo drops it, as a silo that died does) is sent
/// again by the CLI only when its first attempt provably wrote nothing: no new safety snapshot in the history.
/// </summary>
public sealed class CliRestoreRetryTests(SiloProcessFixture fixture) : IClassFixture<SiloProcessFixture>
{
    [Fact]
    public async Task A_restore_lost_before_it_ran_is_sent_again_and_runs_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = await DroppingProxy.StartAsync(fixture.Silo.HttpAddress, "/restore", DropWhen.BeforeForwarding, ct);
        var (ws, first) = await TrackedTwiceAsync(proxy, "restore-lost-before");

        var run = await CliAsync(proxy, "restore", "--session", "restore-lost-before", "--to", first, "--json");

        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0, run.ToString());
        Assert.True(proxy.Dropped);
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
        Assert.Equal(1, Safeties(await CliAsync(proxy, "history", "--session", "restore-lost-before", "--json")));
    }

    [Fact]
    public async Task A_restore_lost_after_it_ran_is_not_sent_again_and_the_error_names_its_safety_snapshot()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = await DroppingProxy.StartAsync(fixture.Silo.HttpAddress, "/restore", DropWhen.AfterAnswer, ct);
        var (ws, first) = await TrackedTwiceAsync(proxy, "restore-lost-after");

        var run = await CliAsync(proxy, "restore", "--session", "restore-lost-after", "--to", first, "--json");

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var history = await CliAsync(proxy, "history", "--session", "restore-lost-after", "--json");
        var safety = JsonDocument.Parse(history.Stdout).RootElement.GetProperty("snapshots").EnumerateArray().Last().GetProperty("hash").GetString()!;
        Assert.Contains($"safety snapshot {safety}, so it may have run in part and was not sent again", line, StringComparison.Ordinal);
        Assert.Contains($"'restore --to {safety}' to undo it", line, StringComparison.Ordinal);
        Assert.Equal(1, Safeties(history));
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
    }

    /// <summary>A session tracked with a.txt "one", then "two", through the proxy: its workspace and first snapshot.</summary>
    private async Task<(string Workspace, string First)> TrackedTwiceAsync(DroppingProxy proxy, string session)
    {
        var ws = fixture.NewWorkspace(session);
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\n");
        var first = await CliAsync(proxy, "track", "--session", session, "--dir", ws, "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        File.WriteAllText(Path.Combine(ws, "a.txt"), "two\n");
        Assert.True((await CliAsync(proxy, "track", "--session", session)).ExitCode == 0);
        return (ws, JsonDocument.Parse(first.Stdout).RootElement.GetProperty("hash").GetString()!);
    }

    private Task<CliRun> CliAsync(DroppingProxy proxy, params string[] args) =>
        CliProcess.RunAsync(["--server", proxy.Address, .. args], fixture.Silo.WorkingDirectory, fixture.Silo.CliEnvironment);

    private static int Safeties(CliRun history) =>
        JsonDocument.Parse(history.Stdout).RootElement.GetProperty("snapshots").EnumerateArray()
            .Count(s => s.GetProperty("label").GetString()?.StartsWith(SafetyLabels.Prefix, StringComparison.Ordinal) == true);
}
