using System.Text.Json;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Cli;

/// <summary>
/// Which key and which silo the real CLI uses, against a real silo whose API checks keys (two tenants, each its key):
/// <c>--key-file</c> before <c>$AGENTSNAPSHOTS_KEY</c> before the local key file, <c>--server</c> before
/// <c>$AGENTSNAPSHOTS_URL</c>, the next address when one does not answer, and a refused key in one line without the key.
/// </summary>
public sealed class CliKeyAndServerTests(TenantSiloFixture fixture) : IClassFixture<TenantSiloFixture>, IDisposable
{
    private readonly TempDirectory _temp = new("as-cli-key");

    public void Dispose() => _temp.Dispose();

    private string Server => fixture.Silo.CliServer;

    /// <summary>A local key file holding <paramref name="key"/>, as the silo writes it; returns its config home (XDG_CONFIG_HOME).</summary>
    private string ConfigHomeWithLocalKey(string name, string key)
    {
        _temp.Write($"{name}/agentsnapshots/local.key", key + "\n");
        return _temp.Combine(name);
    }

    private Task<CliRun> Run(IReadOnlyList<string> args, Dictionary<string, string?> environment) => CliProcess.RunAsync(args, _temp.Path, environment);

    private static List<string> Snapshots(CliRun run)
    {
        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0, run.ToString());
        return [.. JsonDocument.Parse(run.Stdout).RootElement.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("hash").GetString()!)];
    }

    private static string RefusedLine(CliRun run, string key)
    {
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Stdout);
        Assert.DoesNotContain(key, run.Stderr, StringComparison.Ordinal);
        return Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_key_comes_from_key_file_then_the_environment_then_the_local_key_file()
    {
        var ws = Directory.CreateDirectory(Path.Combine(fixture.RootA, "cli-keys")).FullName;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "a\n");
        var keyFileA = _temp.Write("a.key", fixture.KeyA + "\n");
        var keyFileB = _temp.Write("b.key", fixture.KeyB);
        var localA = ConfigHomeWithLocalKey("config-a", fixture.KeyA);
        var localB = ConfigHomeWithLocalKey("config-b", fixture.KeyB);
        string[] history = ["history", "--server", Server, "--session", "cli-keys", "--json"];

        // Tenant A's session; tenant B's session of the same name is another one, with no snapshots.
        var track = await Run(["track", "--server", Server, "--session", "cli-keys", "--dir", ws, "--json"], new() { ["XDG_CONFIG_HOME"] = localA });
        Assert.True(track.ExitCode == 0, track.ToString());
        string[] ofA = [JsonDocument.Parse(track.Stdout).RootElement.GetProperty("hash").GetString()!];

        // Only the local key file.
        Assert.Equal(ofA, Snapshots(await Run(history, new() { ["XDG_CONFIG_HOME"] = localA })));
        Assert.Empty(Snapshots(await Run(history, new() { ["XDG_CONFIG_HOME"] = localB })));
        // The environment before the local key file.
        Assert.Empty(Snapshots(await Run(history, new() { ["XDG_CONFIG_HOME"] = localA, ["AGENTSNAPSHOTS_KEY"] = fixture.KeyB })));
        Assert.Equal(ofA, Snapshots(await Run(history, new() { ["XDG_CONFIG_HOME"] = localB, ["AGENTSNAPSHOTS_KEY"] = fixture.KeyA })));
        // --key-file before both (given on the command line, like --session and --server before their variables).
        Assert.Equal(ofA, Snapshots(await Run([.. history, "--key-file", keyFileA], new() { ["XDG_CONFIG_HOME"] = localB, ["AGENTSNAPSHOTS_KEY"] = fixture.KeyB })));
        Assert.Empty(Snapshots(await Run([.. history, "--key-file", keyFileB], new() { ["XDG_CONFIG_HOME"] = localA, ["AGENTSNAPSHOTS_KEY"] = fixture.KeyA })));

        // --verbose says where the key came from, never what it is.
        var verbose = await Run([.. history, "--verbose"], new() { ["XDG_CONFIG_HOME"] = localA });
        Assert.True(verbose.ExitCode == 0, verbose.ToString());
        Assert.EndsWith($"(key from the local key file {localA}/agentsnapshots/local.key)", verbose.Stderr.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.KeyA, verbose.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_key_is_bad_input_in_one_line_naming_where_it_came_from_and_never_the_key()
    {
        var wrong = TenantSiloFixture.NewKey();
        string[] history = ["history", "--server", Server, "--session", "cli-wrong-key"];

        var fromEnvironment = RefusedLine(await Run(history, new() { ["AGENTSNAPSHOTS_KEY"] = wrong }), wrong);
        Assert.StartsWith($"agentsnapshots: the silo at {Server} refused the key from $AGENTSNAPSHOTS_KEY (invalidKey): ", fromEnvironment, StringComparison.Ordinal);

        var file = _temp.Write("wrong.key", wrong);
        var fromFile = RefusedLine(await Run([.. history, "--key-file", file], new() { ["AGENTSNAPSHOTS_KEY"] = fixture.KeyA }), wrong);
        Assert.StartsWith($"agentsnapshots: the silo at {Server} refused the key from --key-file {file} (invalidKey): ", fromFile, StringComparison.Ordinal);

        var local = ConfigHomeWithLocalKey("config-wrong", wrong);
        var fromLocalFile = RefusedLine(await Run(history, new() { ["XDG_CONFIG_HOME"] = local }), wrong);
        Assert.Contains($"refused the key from the local key file {local}/agentsnapshots/local.key (invalidKey)", fromLocalFile, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--server", "http://example.invalid:1")]
    [InlineData("--server", "http://127.0.0.1:1,http://localhost.example.invalid:1")]
    [InlineData("AGENTSNAPSHOTS_URL", "https://10.0.0.1:1/agentsnapshots")]
    public async Task The_local_key_file_is_never_sent_to_a_server_not_on_this_machine(string via, string servers)
    {
        var local = ConfigHomeWithLocalKey("config-remote", fixture.KeyA);
        Dictionary<string, string?> environment = new() { ["XDG_CONFIG_HOME"] = local };
        string[] history = ["history", "--session", "cli-remote"];
        if (via == "AGENTSNAPSHOTS_URL")
        {
            environment[via] = servers;
        }
        else
        {
            history = [.. history, via, servers];
        }

        // Exit 2 before any connection: the line is about the key, not about reaching the server.
        var line = RefusedLine(await Run(history, environment), fixture.KeyA);
        Assert.StartsWith("agentsnapshots: no key for ", line, StringComparison.Ordinal);
        Assert.EndsWith("the local key file is sent only to a silo on this machine (localhost, 127.0.0.0/8, ::1); for a remote server pass --key-file FILE or set $AGENTSNAPSHOTS_KEY.", line, StringComparison.Ordinal);

        // An explicit key is sent as given: the CLI goes on to connect (and finds no such server).
        var explicitKey = await Run(history, new(environment) { ["AGENTSNAPSHOTS_KEY"] = fixture.KeyA });
        Assert.True(explicitKey.ExitCode == 1, explicitKey.ToString());
        Assert.DoesNotContain("no key", explicitKey.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_HOME_does_not_make_the_local_key_file_a_file_of_the_current_directory()
    {
        // A key file where a relative ".config/agentsnapshots/local.key" would find it.
        _temp.Write(".config/agentsnapshots/local.key", fixture.KeyA + "\n");
        var run = await Run(["history", "--server", Server, "--session", "cli-empty-home", "--verbose"], new() { ["HOME"] = "", ["XDG_CONFIG_HOME"] = "" });
        Assert.NotEqual(0, run.ExitCode);
        Assert.DoesNotContain(" .config/agentsnapshots", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("/.config/agentsnapshots/local.key", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_silo_comes_from_server_then_AGENTSNAPSHOTS_URL_and_the_next_address_serves_when_one_does_not_answer()
    {
        var dead = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var key = new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = fixture.KeyA };
        string[] history = ["history", "--session", "cli-servers", "--json"];

        Assert.Empty(Snapshots(await Run(history, new(key) { ["AGENTSNAPSHOTS_URL"] = Server })));
        Assert.Empty(Snapshots(await Run([.. history, "--server", Server], new(key) { ["AGENTSNAPSHOTS_URL"] = dead })));
        var deadOnly = await Run([.. history, "--server", dead], new(key) { ["AGENTSNAPSHOTS_URL"] = Server });
        Assert.True(deadOnly.ExitCode == 1, deadOnly.ToString());
        Assert.StartsWith($"agentsnapshots: no silo answers at {dead} (connection refused)", deadOnly.Stderr, StringComparison.Ordinal);

        // The first address refuses the connection: the request goes to the next, once.
        var fallback = await Run([.. history, "--server", $"{dead},{Server}", "--verbose"], key);
        Assert.True(fallback.ExitCode == 0, fallback.ToString());
        var lines = fallback.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"agentsnapshots: GET {dead}/v1/sessions/cli-servers/snapshots: no answer (connection refused)", lines[0]);
        Assert.StartsWith($"agentsnapshots: GET {Server}/v1/sessions/cli-servers/snapshots -> 200 in ", lines[1], StringComparison.Ordinal);
    }
}
