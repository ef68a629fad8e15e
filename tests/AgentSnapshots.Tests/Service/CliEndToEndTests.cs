using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Service;

/// <summary>The real silo process and the real CLI process, as a person or an agent runs them.</summary>
public sealed class CliEndToEndTests
{
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

    [Fact]
    public async Task The_cli_drives_a_real_silo_through_every_verb()
    {
        using var temp = new TempDirectory("as-e2e");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var ws = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        Directory.CreateDirectory(temp.Combine("outside"));
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\ntwo\n");
        File.WriteAllText(Path.Combine(ws, "b.txt"), "bee\n");

        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), root, root);
        try
        {
            // track: a relative --dir is resolved against the CLI's current directory.
            var track1 = Json(await silo.RunCliAsync("track", "--session", "e2e", "--dir", "ws", "--label", "first", "--json"));
            Assert.Equal(["hash", "files", "skipped", "skippedCount", "omittedSkipped"], Keys(track1));
            Assert.Equal(2, track1.GetProperty("files").GetInt32());
            var h1 = track1.GetProperty("hash").GetString()!;

            File.WriteAllText(Path.Combine(ws, "a.txt"), "one\nTWO\nthree\n");
            File.Delete(Path.Combine(ws, "b.txt"));
            File.WriteAllText(Path.Combine(ws, "c.txt"), new string('c', 3000) + "\n");
            var track2 = await silo.RunCliAsync("track", "--session", "e2e", "--label", "second");
            Assert.True(track2.ExitCode == 0, track2.ToString());
            Assert.Contains("2 files stored", track2.Stdout, StringComparison.Ordinal);
            var history = Json(await silo.RunCliAsync("history", "--session", "e2e", "--json"));
            var h2 = history.GetProperty("snapshots")[1].GetProperty("hash").GetString()!;

            var changes = Json(await silo.RunCliAsync("changes", "--session", "e2e", "--since", h1, "--json"));
            Assert.Equal(["since", "files", "fileCount", "omittedFiles"], Keys(changes));
            Assert.Equal(["a.txt", "b.txt", "c.txt"], changes.GetProperty("files").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal));

            var diff = Json(await silo.RunCliAsync("diff", "--session", "e2e", "--from", h1, "--to", h2, "--json"));
            Assert.Equal(["from", "to", "fileCount", "omittedFiles", "additions", "deletions", "files"], Keys(diff));
            Assert.Equal((h1, h2, 3), (diff.GetProperty("from").GetString(), diff.GetProperty("to").GetString(), diff.GetProperty("fileCount").GetInt32()));
            var files = diff.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("file").GetString()!);
            Assert.Equal(["file", "status", "additions", "deletions", "exact", "binary", "oldSize", "newSize", "patch", "truncated"], Keys(files["a.txt"]));
            Assert.Equal("modified", files["a.txt"].GetProperty("status").GetString());
            Assert.Equal("deleted", files["b.txt"].GetProperty("status").GetString());
            Assert.Equal("added", files["c.txt"].GetProperty("status").GetString());
            Assert.Equal((2, 1), (files["a.txt"].GetProperty("additions").GetInt32(), files["a.txt"].GetProperty("deletions").GetInt32()));
            Assert.Contains("+TWO", files["a.txt"].GetProperty("patch").GetString(), StringComparison.Ordinal);

            var table = await silo.RunCliAsync("diff", "--session", "e2e", "--from", h1);
            Assert.True(table.ExitCode == 0, table.ToString());
            Assert.Contains("STATUS", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("2.9 KiB", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("3 files changed, +3 -2 lines", table.Stdout, StringComparison.Ordinal);

            var revert = Json(await silo.RunCliAsync("revert", "--session", "e2e", "--to", h1, "b.txt", "--json"));
            Assert.Equal(["to", "safety", "written", "deleted", "writtenCount", "deletedCount", "omittedWritten", "omittedDeleted"], Keys(revert));
            Assert.Equal(["b.txt"], revert.GetProperty("written").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal("bee\n", File.ReadAllText(Path.Combine(ws, "b.txt")));
            Assert.Equal("one\nTWO\nthree\n", File.ReadAllText(Path.Combine(ws, "a.txt")));

            var restore = Json(await silo.RunCliAsync("restore", "--session", "e2e", "--to", h1, "--json"));
            Assert.Equal(h1, restore.GetProperty("to").GetString());
            Assert.Equal(["c.txt"], restore.GetProperty("deleted").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
            Assert.False(File.Exists(Path.Combine(ws, "c.txt")));

            history = Json(await silo.RunCliAsync("history", "--session", "e2e", "--json"));
            Assert.Equal(["session", "workspace", "snapshots"], Keys(history));
            Assert.Equal(("e2e", ws), (history.GetProperty("session").GetString(), history.GetProperty("workspace").GetString()));
            var snapshots = history.GetProperty("snapshots").EnumerateArray().ToList();
            Assert.All(snapshots, s => Assert.Equal(["hash", "label", "time", "files", "skipped", "step"], Keys(s)));
            Assert.Equal(["first", "second", $"safety: before revert to {h1[..8]}", $"safety: before restore to {h1[..8]}"],
                snapshots.Select(s => s.GetProperty("label").GetString()));
            Assert.Equal(restore.GetProperty("safety").GetString(), snapshots[^1].GetProperty("hash").GetString());

            var people = await silo.RunCliAsync("history", "--session", "e2e");
            Assert.Contains("safety: before restore", people.Stdout, StringComparison.Ordinal);
            Assert.Contains("4 snapshots", people.Stdout, StringComparison.Ordinal);

            // Bad input: exit 2, one line on stderr, and nothing changed.
            AssertBadInput(await silo.RunCliAsync("diff", "--session", "e2e", "--from", "nothex"), "40 hexadecimal digits");
            AssertBadInput(await silo.RunCliAsync("restore", "--session", "e2e", "--to", new string('0', 40)), "history");
            AssertBadInput(await silo.RunCliAsync("changes", "--session", "nobody", "--since", h1), "track");
            AssertBadInput(await silo.RunCliAsync("track", "--session", "other", "--dir", temp.Combine("outside")), "workspace roots");
            AssertBadInput(await silo.RunCliAsync("revert", "--session", "e2e", "--to", h1), "at least one FILE");
            AssertBadInput(await silo.RunCliAsync("frobnicate"), "unknown verb");
            AssertBadInput(await silo.RunCliAsync("history", "--session", "bad id"), "--session");
            Assert.Equal(4, Json(await silo.RunCliAsync("history", "--session", "e2e", "--json")).GetProperty("snapshots").GetArrayLength());
            Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(ws, "a.txt")));

            var help = await SiloProcess.RunCliAsync(["--help"], root);
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("usage:", help.Stdout, StringComparison.Ordinal);
        }
        catch
        {
            // The silo's log says what happened on its side.
            TestContext.Current.SendDiagnosticMessage(silo.Output);
            throw;
        }
    }

    [Fact]
    public async Task An_unreachable_silo_is_a_failure_that_says_how_to_start_it()
    {
        using var temp = new TempDirectory("as-e2e-down");
        var port = SiloProcess.FreePort();

        var run = await SiloProcess.RunCliAsync(["history", "--gateway", $"127.0.0.1:{port}"], temp.Path);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"127.0.0.1:{port}", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project src/Silo", run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
