using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Cli;

/// <summary>
/// The CLI's command line as a process, with no silo: help, version, completions, and every kind of command line it
/// refuses (exit 2, one line on stderr that says what was wrong, nothing on stdout, no connection attempted).
/// </summary>
public sealed class CliCommandLineTests : IDisposable
{
    private static readonly string[] VerbNames = ["track", "changes", "diff", "restore", "revert", "history", "usage", "gc", "delete"];

    private readonly TempDirectory _temp = new("as-cli-args");

    public void Dispose() => _temp.Dispose();

    private Task<CliRun> Run(params string[] args) => CliProcess.RunAsync(args, _temp.Path);

    [Fact]
    public async Task Help_lists_every_verb_the_global_options_and_the_exit_codes()
    {
        var help = await Run("--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("Usage:", help.Stdout, StringComparison.Ordinal);
        Assert.All(VerbNames, verb => Assert.Contains($"\n  {verb} ", help.Stdout, StringComparison.Ordinal));
        Assert.All(["--session", "--json", "--gateway", "--postgres", "--verbose", "--version"], option => Assert.Contains(option, help.Stdout, StringComparison.Ordinal));
        Assert.Contains("Exit codes: 0 success, 2 bad input", help.Stdout, StringComparison.Ordinal);

        var diff = await Run("help", "diff");
        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Contains("--from <HASH> (REQUIRED)", diff.Stdout, StringComparison.Ordinal);
        Assert.Contains("--patch", diff.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--dir", diff.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_is_the_build_version()
    {
        var run = await Run("--version");

        Assert.True(run.ExitCode == 0, run.ToString());
        // Every project of the solution is built with the same Version (Directory.Build.props).
        var version = typeof(CliCommandLineTests).Assembly.GetName().Version!;
        Assert.StartsWith($"{version.Major}.{version.Minor}.{version.Build}", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_offer_the_verbs_and_a_verbs_options()
    {
        var verbs = await Run("[suggest:2]", "re");
        Assert.True(verbs.ExitCode == 0, verbs.ToString());
        var offered = verbs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("restore", offered);
        Assert.Contains("revert", offered);
        Assert.DoesNotContain("track", offered);

        var options = await Run("[suggest:8]", "diff --f");
        Assert.True(options.ExitCode == 0, options.ToString());
        Assert.Equal(["--from"], options.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    public static TheoryData<string[], string> BadCommandLines() => new()
    {
        { [], "no verb given" },
        { ["frobnicate"], "unknown verb 'frobnicate'" },
        { ["track", "--bogus"], "track does not take '--bogus'" },
        { ["gc", "--to", "abc"], "gc does not take '--to'" },
        { ["history", "extra"], "history does not take 'extra'" },
        { ["changes"], "'--since' is required" },
        { ["diff", "--to", "abc"], "'--from' is required" },
        { ["restore"], "'--to' is required" },
        { ["revert", "--to", "abc"], "'FILE'" },
        { ["restore", "--to", "a", "--to", "b"], "'--to' expects a single argument" },
        { ["track", "--dir"], "'--dir'" },
        { ["track", "--dir", ""], "--dir is empty" },
        { ["history", "--session", "has space"], "--session 'has space' is not accepted" },
        { ["history", "--gateway", "127.0.0.1:1", "--postgres", "Host=db"], "--gateway and --postgres both given" },
        { ["history", "--gateway", " , "], "--gateway is empty" },
        { ["history", "--gateway", "nonsense"], "Gateway 'nonsense' is not HOST:PORT" },
        { ["history", "--gateway", "127.0.0.1:70000"], "Gateway '127.0.0.1:70000' is not HOST:PORT" },
        { ["history", "--postgres", " "], "--postgres is empty" },
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task A_bad_command_line_exits_2_with_one_line_saying_what_was_wrong(string[] args, string expected)
    {
        var run = await Run(args);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Stdout);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("agentsnapshots: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_from_the_environment_is_checked_like_one_given()
    {
        var run = await CliProcess.RunAsync(["history"], _temp.Path, new Dictionary<string, string?> { ["AGENTSNAPSHOTS_SESSION"] = "bad id" });

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--session 'bad id' (from $AGENTSNAPSHOTS_SESSION) is not accepted", Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_silo_is_a_failure_that_says_how_to_start_it()
    {
        var port = LoopbackPort.Free();

        var run = await Run("history", "--gateway", $"127.0.0.1:{port}");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"127.0.0.1:{port}", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project src/Silo", run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
