using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Safety;

/// <summary>A real silo process killed with SIGKILL in the middle of a large snapshot, then started again on the same data.</summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-crash");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_silo_killed_during_a_large_snapshot_recovers_with_a_sound_store_and_state()
    {
        var data = _temp.Combine("data");
        var root = Directory.CreateDirectory(_temp.Combine("root")).FullName;
        var ws = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        // 24 files of 12 MiB of incompressible bytes: a few seconds of streaming, long enough to be killed inside.
        var random = new Random(5);
        var chunk = new byte[12 << 20];
        for (var i = 0; i < 24; i++)
        {
            random.NextBytes(chunk);
            await File.WriteAllBytesAsync(Path.Combine(ws, $"big{i:D2}.bin"), chunk);
        }
        File.WriteAllText(Path.Combine(ws, "small.txt"), "small\n");
        var store = Path.Combine(data, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(ws)!));
        var objects = Path.Combine(store, "objects");

        string killedDuring;
        await using (var silo = await SiloProcess.StartAsync(data, root, _temp.Path))
        {
            var track = silo.RunCliAsync("track", "--session", "crash", "--dir", ws, "--json");
            var watch = Stopwatch.StartNew();
            while (!(Directory.Exists(objects) && Directory.EnumerateFiles(objects, "tmp_obj_*").Any()) && watch.Elapsed < TimeSpan.FromSeconds(60) && !track.IsCompleted)
            {
                await Task.Delay(5);
            }
            killedDuring = Directory.Exists(objects) && Directory.EnumerateFiles(objects, "tmp_obj_*").Any() ? "a blob write" : "the snapshot (no temporary file seen)";
            using (var kill = Process.Start("kill", ["-KILL", silo.ProcessId.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            // The CLI now waits for an answer that never comes: end it (by its own pid), no need to wait it out.
            silo.KillCliProcesses();
            if (await Task.WhenAny(track, Task.Delay(TimeSpan.FromSeconds(10))) == track && track.IsCompletedSuccessfully)
            {
                Assert.True((await track).ExitCode != 0, "the track finished before the kill");
            }
        }
        TestContext.Current.SendDiagnosticMessage($"killed during {killedDuring}; leftovers: {Directory.EnumerateFiles(objects, "tmp_obj_*").Count()} temporary files");

        await using (var silo = await SiloProcess.StartAsync(data, root, _temp.Path))
        {
            var again = await silo.RunCliAsync("track", "--session", "crash", "--dir", ws, "--json");
            Assert.True(again.ExitCode == 0, again.ToString());
            var hash = JsonDocument.Parse(again.Stdout).RootElement.GetProperty("hash").GetString()!;
            Assert.Equal(25, JsonDocument.Parse(again.Stdout).RootElement.GetProperty("files").GetInt32());

            var history = await silo.RunCliAsync("history", "--session", "crash", "--json");
            Assert.True(history.ExitCode == 0, history.ToString());
            var hashes = JsonDocument.Parse(history.Stdout).RootElement.GetProperty("snapshots").EnumerateArray()
                .Select(s => s.GetProperty("hash").GetString()!).ToList();
            Assert.Contains(hash, hashes);
            foreach (var h in hashes)
            {
                Assert.Equal("tree", Git.Run(ws, "--git-dir", store, "cat-file", "-t", h).Trim());
            }

            // The same tree as git's, every object whole; a restore from it works.
            Git.Run(ws, "--git-dir", store, "fsck", "--strict", "--no-dangling");
            var expected = Git.Run(ws, "--git-dir", store, "--work-tree", ws, "hash-object", Path.Combine(ws, "big07.bin")).Trim();
            Assert.Equal(expected, Git.Run(ws, "--git-dir", store, "rev-parse", hash + ":big07.bin").Trim());
            File.WriteAllText(Path.Combine(ws, "small.txt"), "changed\n");
            var restore = await silo.RunCliAsync("restore", "--session", "crash", "--to", hash, "--json");
            Assert.True(restore.ExitCode == 0, restore.ToString());
            Assert.Equal("small\n", File.ReadAllText(Path.Combine(ws, "small.txt")));
        }

        // Leftover temporary files break nothing, and the collector removes them once old.
        var opened = ObjectStore.Open(store);
        var liveTrees = Git.Run(ws, "--git-dir", store, "cat-file", "--batch-all-objects", "--batch-check")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(" tree ", StringComparison.Ordinal))
            .Select(l => GitObjectId.Parse(l[..40])).ToList();
        StoreCollector.Collect(opened, liveTrees, TimeSpan.Zero);
        Assert.Empty(Directory.EnumerateFiles(objects, "tmp_obj_*"));
        Git.Run(ws, "--git-dir", store, "fsck", "--strict", "--no-dangling");
    }
}
