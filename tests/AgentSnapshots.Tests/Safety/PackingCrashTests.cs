using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Safety;

/// <summary>A real silo process killed with SIGKILL while its collection writes a pack, then started again on the same data.</summary>
public sealed class PackingCrashTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-packcrash");

    public void Dispose() => _temp.Dispose();

    /// <summary>Turn <paramref name="turn"/> of a 48 MiB log: more lines each turn, and a few rewritten in place.</summary>
    private static string WriteLog(string path, int turn)
    {
        using (var output = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20))
        {
            for (var i = 0; i < 600_000 + turn * 10_000; i++)
            {
                output.Write(i % 5000 == turn
                    ? $"2026-11-23T12:00:00Z WARN request {i:D9} rewritten by turn {turn}\n"
                    : $"2026-11-23T12:00:00Z INFO request {i:D9} served in {i % 97} ms path=/api/items/{i % 4099}\n");
            }
        }
        return Sha256Of(path);
    }

    private static string Sha256Of(string path)
    {
        using var read = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(read));
    }

    [Fact]
    public async Task A_silo_killed_while_packing_restarts_with_every_snapshot_readable_and_git_fsck_clean()
    {
        var data = _temp.Combine("data");
        var root = Directory.CreateDirectory(_temp.Combine("root")).FullName;
        var ws = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        var log = Path.Combine(ws, "service.log");
        var store = Path.Combine(data, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(ws)!));
        var packDirectory = Path.Combine(store, "objects", "pack");
        var settings = new Dictionary<string, string>
        {
            ["Snapshots__Retention__CollectEvery"] = "0",
            ["Snapshots__Retention__Grace"] = "00:00:00",
        };
        string Git(params string[] args) => Support.Git.Run(ws, ["--git-dir", store, .. args]);

        var turns = new List<(string Hash, string Sha, long Size)>();
        await using (var silo = await SiloProcess.StartAsync(data, root, _temp.Path, settings))
        {
            for (var turn = 1; turn <= 4; turn++)
            {
                var sha = WriteLog(log, turn);
                var tracked = await silo.RunCliAsync("track", "--session", "packcrash", "--dir", ws, "--json");
                Assert.True(tracked.ExitCode == 0, tracked.ToString());
                turns.Add((JsonDocument.Parse(tracked.Stdout).RootElement.GetProperty("hash").GetString()!, sha, new FileInfo(log).Length));
            }

            var gc = silo.RunCliAsync("gc", "--session", "packcrash", "--json");
            var watch = Stopwatch.StartNew();
            while (!Directory.EnumerateFiles(packDirectory, "tmp_pack_*").Any() && !gc.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(2);
            }
            var packing = Directory.EnumerateFiles(packDirectory, "tmp_pack_*").Any();
            using (var kill = Process.Start("kill", ["-KILL", silo.ProcessId.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            silo.KillCliProcesses();
            Assert.True(packing, $"the collection ended before the kill: {(gc.IsCompleted ? (await gc).ToString() : "still running")}");
        }
        TestContext.Current.SendDiagnosticMessage($"killed while writing {string.Join(", ", Directory.EnumerateFiles(packDirectory).Select(Path.GetFileName))}");

        // As the kill left it: git reads every snapshot and finds nothing broken.
        Git("fsck", "--strict", "--no-dangling");
        foreach (var (hash, _, size) in turns)
        {
            Assert.Equal("tree", Git("cat-file", "-t", hash).Trim());
            Assert.Equal(size, long.Parse(Git("cat-file", "-s", hash + ":service.log"), CultureInfo.InvariantCulture));
        }

        await using (var silo = await SiloProcess.StartAsync(data, root, _temp.Path, settings))
        {
            var history = await silo.RunCliAsync("history", "--session", "packcrash", "--json");
            Assert.True(history.ExitCode == 0, history.ToString());
            var hashes = JsonDocument.Parse(history.Stdout).RootElement.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("hash").GetString()).ToList();
            Assert.All(turns, t => Assert.Contains(t.Hash, hashes));

            // The next collection finishes the job: one pack, no temporary file, nothing loose, git content.
            var gc = await silo.RunCliAsync("gc", "--session", "packcrash", "--json");
            Assert.True(gc.ExitCode == 0, gc.ToString());
            Assert.Empty(Directory.EnumerateFiles(packDirectory, "tmp_*"));
            Assert.Empty(Directory.EnumerateDirectories(Path.Combine(store, "objects"), "??").SelectMany(Directory.EnumerateFiles));
            Git("fsck", "--strict", "--no-dangling");
            foreach (var index in Directory.EnumerateFiles(packDirectory, "*.idx")) Git("verify-pack", index);

            foreach (var (hash, sha, _) in turns)
            {
                var restore = await silo.RunCliAsync("restore", "--session", "packcrash", "--to", hash, "--json");
                Assert.True(restore.ExitCode == 0, restore.ToString());
                Assert.Equal(sha, Sha256Of(log));
            }
        }
    }
}
