using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Cli;

/// <summary>The real silo process and the real CLI process, as a person or an agent runs them.</summary>
public sealed class CliEndToEndTests(SiloProcessFixture fixture) : IClassFixture<SiloProcessFixture>
{
    private SiloProcess Silo => fixture.Silo;

    private static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    private static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];

    private static void AssertBadInput(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == 2, run.ToString());
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", run.Stdout);
    }

    private async Task<CliRun> Ok(params string[] args)
    {
        var run = await Silo.RunCliAsync(args);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    [Fact]
    public async Task The_cli_drives_a_real_silo_through_every_verb()
    {
        var ws = fixture.NewWorkspace("ws");
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\ntwo\n");
        File.WriteAllText(Path.Combine(ws, "b.txt"), "bee\n");

        try
        {
            // track: a relative --dir is resolved against the CLI's current directory.
            var track1 = Json(await Silo.RunCliAsync("track", "--session", "e2e", "--dir", "ws", "--label", "first", "--json"));
            Assert.Equal(["hash", "files", "skipped", "skippedCount", "omittedSkipped"], Keys(track1));
            Assert.Equal(2, track1.GetProperty("files").GetInt32());
            var h1 = track1.GetProperty("hash").GetString()!;

            File.WriteAllText(Path.Combine(ws, "a.txt"), "one\nTWO\nthree\n");
            File.Delete(Path.Combine(ws, "b.txt"));
            File.WriteAllText(Path.Combine(ws, "c.txt"), new string('c', 3000) + "\n");
            var track2 = await Ok("track", "--session", "e2e", "--label", "second");
            Assert.Contains("2 files stored", track2.Stdout, StringComparison.Ordinal);
            var history = Json(await Silo.RunCliAsync("history", "--session", "e2e", "--json"));
            var h2 = history.GetProperty("snapshots")[1].GetProperty("hash").GetString()!;

            var changes = Json(await Silo.RunCliAsync("changes", "--session", "e2e", "--since", h1, "--json"));
            Assert.Equal(["since", "files", "fileCount", "omittedFiles"], Keys(changes));
            Assert.Equal(["a.txt", "b.txt", "c.txt"], changes.GetProperty("files").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal));

            var diff = Json(await Silo.RunCliAsync("diff", "--session", "e2e", "--from", h1, "--to", h2, "--json"));
            Assert.Equal(["from", "to", "fileCount", "omittedFiles", "additions", "deletions", "files"], Keys(diff));
            Assert.Equal((h1, h2, 3), (diff.GetProperty("from").GetString(), diff.GetProperty("to").GetString(), diff.GetProperty("fileCount").GetInt32()));
            var files = diff.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("file").GetString()!);
            Assert.Equal(["file", "status", "additions", "deletions", "exact", "binary", "oldSize", "newSize", "patch", "truncated"], Keys(files["a.txt"]));
            Assert.Equal("modified", files["a.txt"].GetProperty("status").GetString());
            Assert.Equal("deleted", files["b.txt"].GetProperty("status").GetString());
            Assert.Equal("added", files["c.txt"].GetProperty("status").GetString());
            Assert.Equal((2, 1), (files["a.txt"].GetProperty("additions").GetInt32(), files["a.txt"].GetProperty("deletions").GetInt32()));
            Assert.Contains("+TWO", files["a.txt"].GetProperty("patch").GetString(), StringComparison.Ordinal);

            var table = await Ok("diff", "--session", "e2e", "--from", h1);
            Assert.Contains("STATUS", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("2.9 KiB", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("3 files changed, +3 -2 lines", table.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("@@", table.Stdout, StringComparison.Ordinal);

            var revert = Json(await Silo.RunCliAsync("revert", "--session", "e2e", "--to", h1, "b.txt", "--json"));
            Assert.Equal(["to", "safety", "written", "deleted", "writtenCount", "deletedCount", "omittedWritten", "omittedDeleted"], Keys(revert));
            Assert.Equal(["b.txt"], revert.GetProperty("written").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal("bee\n", File.ReadAllText(Path.Combine(ws, "b.txt")));
            Assert.Equal("one\nTWO\nthree\n", File.ReadAllText(Path.Combine(ws, "a.txt")));

            var restore = Json(await Silo.RunCliAsync("restore", "--session", "e2e", "--to", h1, "--json"));
            Assert.Equal(h1, restore.GetProperty("to").GetString());
            Assert.Equal(["c.txt"], restore.GetProperty("deleted").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
            Assert.False(File.Exists(Path.Combine(ws, "c.txt")));

            history = Json(await Silo.RunCliAsync("history", "--session", "e2e", "--json"));
            Assert.Equal(["session", "workspace", "snapshots"], Keys(history));
            Assert.Equal(("e2e", ws), (history.GetProperty("session").GetString(), history.GetProperty("workspace").GetString()));
            var snapshots = history.GetProperty("snapshots").EnumerateArray().ToList();
            Assert.All(snapshots, s => Assert.Equal(["hash", "label", "time", "files", "skipped", "step"], Keys(s)));
            Assert.Equal(["first", "second", $"safety: before revert to {h1[..8]}", $"safety: before restore to {h1[..8]}"],
                snapshots.Select(s => s.GetProperty("label").GetString()));
            Assert.Equal(restore.GetProperty("safety").GetString(), snapshots[^1].GetProperty("hash").GetString());

            var people = await Ok("history", "--session", "e2e");
            Assert.Contains("safety: before restore", people.Stdout, StringComparison.Ordinal);
            Assert.Contains("4 snapshots", people.Stdout, StringComparison.Ordinal);

            // Bad input: exit 2, one line on stderr, and nothing changed.
            AssertBadInput(await Silo.RunCliAsync("diff", "--session", "e2e", "--from", "nothex"), "40 hexadecimal digits");
            // The silo states the fact; the CLI words the advice in its own verbs.
            AssertBadInput(await Silo.RunCliAsync("restore", "--session", "e2e", "--to", new string('0', 40)),
                $"'to' {new string('0', 40)} is not a snapshot of session 'e2e'. Run 'agentsnapshots history --session e2e' to list the snapshots it keeps.");
            AssertBadInput(await Silo.RunCliAsync("changes", "--session", "nobody", "--since", h1),
                "Session 'nobody' has no snapshots yet, and changes needs one. Run 'agentsnapshots track --session nobody --dir DIR' first.");
            AssertBadInput(await Silo.RunCliAsync("track", "--session", "other", "--dir", fixture.Outside), "workspace roots");
            AssertBadInput(await Silo.RunCliAsync("revert", "--session", "e2e", "--to", h1), "'FILE'");
            AssertBadInput(await Silo.RunCliAsync("frobnicate"), "unknown verb");
            AssertBadInput(await Silo.RunCliAsync("history", "--session", "bad id"), "--session");
            Assert.Equal(4, Json(await Silo.RunCliAsync("history", "--session", "e2e", "--json")).GetProperty("snapshots").GetArrayLength());
            Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
        }
        catch
        {
            // The silo's log says what happened on its side.
            TestContext.Current.SendDiagnosticMessage(Silo.Output);
            throw;
        }
    }

    [Fact]
    public async Task Revert_takes_file_names_that_look_like_options_after_a_double_dash()
    {
        var ws = fixture.NewWorkspace("dash");
        File.WriteAllText(Path.Combine(ws, "-n.txt"), "one\n");
        var h1 = Json(await Silo.RunCliAsync("track", "--session", "dash", "--dir", "dash", "--json")).GetProperty("hash").GetString()!;
        File.WriteAllText(Path.Combine(ws, "-n.txt"), "two\n");

        var revert = Json(await Silo.RunCliAsync("revert", "--session", "dash", "--to", h1, "--json", "--", "-n.txt"));

        Assert.Equal(["-n.txt"], revert.GetProperty("written").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(ws, "-n.txt")));
    }

    [Fact]
    public async Task Diff_patch_prints_the_previews_plain_when_redirected_and_coloured_on_a_terminal()
    {
        var ws = fixture.NewWorkspace("patch");
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\ntwo\n");
        File.WriteAllText(Path.Combine(ws, "long.txt"), string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i}\n")));
        var h1 = Json(await Silo.RunCliAsync("track", "--session", "patch", "--dir", "patch", "--json")).GetProperty("hash").GetString()!;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\nTWO\n");
        File.WriteAllText(Path.Combine(ws, "long.txt"), string.Concat(Enumerable.Range(0, 2000).Select(i => $"LINE {i}\n")));
        File.WriteAllText(Path.Combine(ws, "new.txt"), "fresh\n");
        string[] diff = ["diff", "--server", Silo.CliServer, "--session", "patch", "--from", h1, "--patch"];
        var key = Silo.CliEnvironment;

        var plain = await CliProcess.RunAsync(diff, fixture.Root, key);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Contains("3 files changed", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+fresh\n", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("preview cut", plain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\e', plain.Stdout);

        var coloured = await CliProcess.RunOnTerminalAsync(diff, fixture.Root, key);
        Assert.True(coloured.ExitCode == 0, coloured.ToString());
        Assert.Contains("\e[1m--- a/a.txt\e[m\n\e[1m+++ b/a.txt\e[m\n\e[36m@@ -1,2 +1,2 @@\e[m\n one\n\e[31m-two\e[m\n\e[32m+TWO\e[m\n", coloured.Stdout, StringComparison.Ordinal);

        var noColour = await CliProcess.RunOnTerminalAsync(diff, fixture.Root, new Dictionary<string, string?>(key) { ["NO_COLOR"] = "1" });
        Assert.True(noColour.ExitCode == 0, noColour.ToString());
        Assert.Contains("--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n", noColour.Stdout, StringComparison.Ordinal);
        // .NET sets the terminal's keypad mode (ESC [?1h ESC =) on a terminal; no colour (SGR) sequence may follow.
        Assert.DoesNotMatch(@"\e\[[0-9;]*m", noColour.Stdout);
    }

    [Fact]
    public async Task Track_says_why_each_skipped_file_was_left_out()
    {
        var ws = fixture.NewWorkspace("skips");
        File.WriteAllText(Path.Combine(ws, "kept.txt"), "kept\n");
        File.WriteAllBytes(Path.Combine(ws, "big.bin"), new byte[SiloProcessFixture.MaxFileBytes + 1]);
        Shell.Run(ws, "touch \"$(printf 'bad\\377name.txt')\"");

        var json = Json(await Silo.RunCliAsync("track", "--session", "skips", "--dir", "skips", "--json"));
        var reasons = json.GetProperty("skipped").EnumerateArray()
            .Select(s => (s.GetProperty("path").GetString(), s.GetProperty("reason").GetString()))
            .ToList();
        Assert.Contains(("big.bin", "tooLarge"), reasons);
        Assert.Contains("notUtf8", reasons.Select(r => r.Item2));

        var people = await Ok("track", "--session", "skips");
        Assert.Contains("1 file stored, 2 skipped", people.Stdout, StringComparison.Ordinal);
        Assert.Contains("skipped  big.bin  (larger than Snapshots:MaxFileBytes)", people.Stdout, StringComparison.Ordinal);
        Assert.Contains("(its name is not valid UTF-8)", people.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verbose_prints_each_request_without_the_key_and_the_session_comes_from_the_environment()
    {
        var ws = fixture.NewWorkspace("env");
        File.WriteAllText(Path.Combine(ws, "a.txt"), "a\n");
        var fromEnvironment = new Dictionary<string, string?>(Silo.CliEnvironment) { ["AGENTSNAPSHOTS_SESSION"] = "env-session" };

        var quiet = await CliProcess.RunAsync(["track", "--server", Silo.CliServer, "--dir", "env", "--json"], fixture.Root, fromEnvironment);
        Assert.True(quiet.ExitCode == 0 && quiet.Stderr.Length == 0, quiet.ToString());

        var verbose = await CliProcess.RunAsync(["history", "--server", Silo.CliServer, "--verbose"], fixture.Root, fromEnvironment);
        Assert.True(verbose.ExitCode == 0, verbose.ToString());
        var line = Assert.Single(verbose.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"agentsnapshots: GET {Silo.CliServer}/v1/sessions/env-session/snapshots -> 200 in ", line, StringComparison.Ordinal);
        Assert.EndsWith("(key from $AGENTSNAPSHOTS_KEY)", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Silo.LocalKey, verbose.Stderr, StringComparison.Ordinal);
        Assert.Contains("session env-session: " + ws, verbose.Stdout, StringComparison.Ordinal);

        var explicitSession = Json(await Silo.RunCliAsync("history", "--session", "env-session", "--json"));
        Assert.Equal(ws, explicitSession.GetProperty("workspace").GetString());
        Assert.Equal(0, Json(await Silo.RunCliAsync("history", "--session", "default", "--json")).GetProperty("snapshots").GetArrayLength());
    }

    [Fact]
    public async Task A_key_the_silo_does_not_hold_is_refused_in_one_line_that_names_its_source_and_not_the_key()
    {
        const string Wrong = "not-the-local-key-of-this-silo";

        var run = await CliProcess.RunAsync(["history", "--server", Silo.CliServer, "--session", "wrong-key"], fixture.Root,
            new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = Wrong });

        AssertBadInput(run, $"agentsnapshots: the silo at {Silo.CliServer} refused the key from $AGENTSNAPSHOTS_KEY (");
        Assert.DoesNotContain(Wrong, run.Stderr, StringComparison.Ordinal);
    }
}
