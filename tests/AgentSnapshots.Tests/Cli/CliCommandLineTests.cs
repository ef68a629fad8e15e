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
        Assert.All(["--session", "--json", "--server", "--key-file", "--verbose", "--version"], option => Assert.Contains(option, help.Stdout, StringComparison.Ordinal));
        Assert.Contains("$AGENTSNAPSHOTS_URL, else http://127.0.0.1:5180", help.Stdout, StringComparison.Ordinal);
        Assert.Contains($"$AGENTSNAPSHOTS_KEY, else the silo's local key file ({CliProcess.NoConfigHome}/agentsnapshots/local.key)", help.Stdout, StringComparison.Ordinal);
        // The Orleans client's options are gone (they only say so when given).
        Assert.DoesNotContain("--gateway", help.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--postgres", help.Stdout, StringComparison.Ordinal);
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
        { ["diff", "--to", new string('a', 40)], "'--from' is required" },
        { ["restore"], "'--to' is required" },
        { ["revert", "--to", new string('a', 40)], "'FILE'" },
        { ["restore", "--to", "a", "--to", "b"], "'--to' expects a single argument" },
        { ["track", "--dir"], "'--dir'" },
        { ["track", "--dir", ""], "--dir is empty" },
        { ["history", "--session", "has space"], "--session 'has space' is not accepted" },
        { ["diff", "--from", "HEAD~1"], "--from 'HEAD~1' is not a snapshot hash: give 40 hexadecimal digits" },
        { ["restore", "--to", new string('a', 39)], "is not a snapshot hash" },
        { ["history", "--gateway", "127.0.0.1:30000"], "--gateway is gone: the CLI calls the silo's HTTP API now; pass --server http://HOST:PORT" },
        { ["history", "--postgres", "Host=db"], "--postgres is gone" },
        { ["history", "--server", " , "], "--server is empty" },
        { ["history", "--server", "nonsense"], "--server 'nonsense' is not an http:// or https:// address" },
        { ["history", "--server", "127.0.0.1:5180"], "--server '127.0.0.1:5180' is not an http:// or https:// address" },
        { ["history", "--server", "http://127.0.0.1:5180,ftp://host"], "--server 'ftp://host' is not an http:// or https:// address" },
        { ["history", "--server", "http://127.0.0.1:5180/?x=1"], "is not an http:// or https:// address" },
        { ["history", "--key-file", " "], "--key-file is empty" },
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
    public async Task An_address_from_the_environment_is_checked_like_one_given()
    {
        var run = await CliProcess.RunAsync(["history"], _temp.Path, new Dictionary<string, string?> { ["AGENTSNAPSHOTS_URL"] = "localhost:5180" });

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--server (from $AGENTSNAPSHOTS_URL) 'localhost:5180' is not an http:// or https:// address", Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_key_anywhere_is_bad_input_that_says_where_a_key_is_looked_for()
    {
        var port = LoopbackPort.Free();

        var run = await Run("history", "--server", $"http://127.0.0.1:{port}");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Stdout);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"agentsnapshots: no key: set $AGENTSNAPSHOTS_KEY, pass --key-file FILE, or start the silo on this machine once so it writes its local key to {CliProcess.NoConfigHome}/agentsnapshots/local.key.", line);
    }

    [Fact]
    public async Task A_key_file_that_is_missing_empty_or_not_a_key_is_bad_input_naming_the_file_and_never_the_key()
    {
        var port = LoopbackPort.Free();
        var missing = _temp.Combine("missing.key");
        var empty = _temp.Write("empty.key", "\n");
        var notAKey = _temp.Write("two-words.key", "secret-part other-part\n");

        foreach (var (file, expected) in new[] { (missing, "does not exist"), (empty, "is empty"), (notAKey, "does not hold a key") })
        {
            var run = await Run("history", "--server", $"http://127.0.0.1:{port}", "--key-file", file);

            Assert.True(run.ExitCode == 2, run.ToString());
            var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"agentsnapshots: --key-file {file} {expected}", line, StringComparison.Ordinal);
            Assert.DoesNotContain("secret-part", line, StringComparison.Ordinal);
        }

        var fromEnvironment = await CliProcess.RunAsync(["history", "--server", $"http://127.0.0.1:{port}"], _temp.Path,
            new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = "secret-part\nother-part" });
        Assert.True(fromEnvironment.ExitCode == 2, fromEnvironment.ToString());
        Assert.Contains("$AGENTSNAPSHOTS_KEY does not hold a key", fromEnvironment.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-part", fromEnvironment.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_silo_is_a_failure_in_one_line_that_says_how_to_start_one()
    {
        var port = LoopbackPort.Free();
        var other = LoopbackPort.Free();
        var key = new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = "some-key" };

        var run = await CliProcess.RunAsync(["history", "--server", $"http://127.0.0.1:{port}"], _temp.Path, key);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal("", run.Stdout);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"agentsnapshots: no silo answers at http://127.0.0.1:{port} (connection refused); start one with 'dotnet run --project src/Silo', or pass --server URL (the silo's Http:Port).", line);

        // Several addresses: each is tried, and the line names them all.
        var both = await CliProcess.RunAsync(["history"], _temp.Path, new Dictionary<string, string?>(key) { ["AGENTSNAPSHOTS_URL"] = $"http://127.0.0.1:{port},http://localhost:{other}/" });
        Assert.True(both.ExitCode == 1, both.ToString());
        Assert.StartsWith($"agentsnapshots: no silo answers at http://127.0.0.1:{port} (connection refused), http://localhost:{other} (connection refused); start one",
            Assert.Single(both.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}
