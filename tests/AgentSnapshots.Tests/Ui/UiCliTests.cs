namespace AgentSnapshots.Tests.Ui;

/// <summary><c>agentsnapshots ui</c>: prints an absolute one-time link for the key, and never fails for want of a browser.</summary>
[Collection(UiCollectionDefinition.Name)]
public sealed class UiCliTests(UiSiloFixture fixture)
{
    [Fact]
    public async Task It_prints_a_link_that_logs_in_and_needs_no_browser_opener()
    {
        var environment = new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = fixture.KeyA, ["PATH"] = "/nonexistent" };
        var run = await CliProcess.RunAsync(["--server", fixture.Silo.CliServer, "--session", "cli-ui", "ui", "--timeline"], fixture.RootA, environment);
        Assert.True(run.ExitCode == 0, run.ToString());
        var link = run.Stdout.Split('\n')[0];
        Assert.StartsWith($"{fixture.Silo.CliServer}/ui/login?token=", link, StringComparison.Ordinal);
        Assert.EndsWith("&next=%2Fui%2Fsessions%2Fcli-ui", link, StringComparison.Ordinal);
        Assert.Contains("Open it in a browser", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.KeyA, run.Stdout + run.Stderr, StringComparison.Ordinal);

        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        using var redeemed = await http.GetAsync(new Uri(link), TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, redeemed.StatusCode);
        Assert.Equal("/ui/sessions/cli-ui", redeemed.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_refused_key_exits_2_with_one_line()
    {
        var environment = new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = "not-a-key-of-this-service", ["PATH"] = "/nonexistent" };
        var run = await CliProcess.RunAsync(["--server", fixture.Silo.CliServer, "ui", "--no-open"], fixture.RootA, environment);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("invalidKey", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }
}
