using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Safety;

/// <summary>A real silo process killed with SIGKILL in the middle of a large snapshot or restore, then started again on the same data.</summary>
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

    [Fact]
    public async Task A_silo_killed_during_a_restore_leaves_the_workspace_recoverable_from_its_safety_snapshot()
    {
        const int Directories = 12;
        const int FilesPerDirectory = 500;
        var data = _temp.Combine("data");
        var root = Directory.CreateDirectory(_temp.Combine("root")).FullName;
        var ws = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        var paths = new List<string>();
        for (var d = 0; d < Directories; d++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(ws, $"d{d:D2}")).FullName;
            for (var f = 0; f < FilesPerDirectory; f++)
            {
                paths.Add(Path.Combine(dir, $"f{f:D4}.txt"));
            }
        }
        static string Content(string path, string version) => $"{version} {path}\n" + new string('x', 1000) + "\n";
        foreach (var path in paths) await File.WriteAllTextAsync(path, Content(path, "old"));
        var store = Path.Combine(data, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(ws)!));

        // The tree git writes for the workspace as it stands (a fresh index each time, outside the workspace).
        var reference = _temp.Combine("reference.git");
        Git.Run(_temp.Path, "init", "-q", "--bare", reference);
        string GitTree()
        {
            File.Delete(Path.Combine(reference, "index"));
            Git.Run(ws, "--git-dir", reference, "--work-tree", ws, "add", "-A");
            return Git.Run(ws, "--git-dir", reference, "--work-tree", ws, "write-tree").Trim();
        }

        string old;
        string beforeRestore;
        await using (var silo = await SiloProcess.StartAsync(data, root, _temp.Path))
        {
            var tracked = await silo.RunCliAsync("track", "--session", "undo", "--dir", ws, "--json");
            Assert.True(tracked.ExitCode == 0, tracked.ToString());
            old = JsonDocument.Parse(tracked.Stdout).RootElement.GetProperty("hash").GetString()!;
            foreach (var path in paths) await File.WriteAllTextAsync(path, Content(path, "new"));
            beforeRestore = GitTree();

            // Files are restored in tree order: once the first is back to its old content the restorer is writing,
            // with thousands of files to go. Kill it then, from a thread that only watches that file.
            var restore = silo.RunCliAsync("restore", "--session", "undo", "--to", old, "--json");
            var first = paths[0];
            var expected = Content(first, "old");
            var watcher = Task.Factory.StartNew(() =>
            {
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < TimeSpan.FromMinutes(3) && !restore.IsCompleted)
                {
                    if (File.ReadAllText(first) == expected)
                    {
                        return true;
                    }
                    Thread.Sleep(1);
                }
                return false;
            }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var started = await watcher;
            await silo.KillAsync();
            silo.KillCliProcesses();
            Assert.True(started, "the restore never started writing files, or finished before it could be killed: " + (restore.IsCompleted ? (await restore).ToString() : "no answer"));
        }
        var restoredBeforeKill = paths.Count(p => File.ReadAllText(p) == Content(p, "old"));
        TestContext.Current.SendDiagnosticMessage($"killed after {restoredBeforeKill} of {paths.Count} files were restored");
        Assert.InRange(restoredBeforeKill, 1, paths.Count - 1);

        // No lock is left behind: the workspace's own lock is free, and no other lock file exists in the store.
        using (var free = WorkspaceLock.TryAcquire(store))
        {
            Assert.NotNull(free);
        }
        Assert.DoesNotContain(Directory.EnumerateFiles(store, "*.lock", SearchOption.AllDirectories), f => Path.GetFileName(f) != WorkspaceLock.FileName);

        await using (var silo = await SiloProcess.StartAsync(data, root, _temp.Path))
        {
            // The safety snapshot taken before the restore is listed, and it is git's tree of the workspace then.
            var history = await silo.RunCliAsync("history", "--session", "undo", "--json");
            Assert.True(history.ExitCode == 0, history.ToString());
            var listed = JsonDocument.Parse(history.Stdout).RootElement.GetProperty("snapshots").EnumerateArray()
                .Select(s => (Hash: s.GetProperty("hash").GetString()!, Label: s.TryGetProperty("label", out var l) ? l.GetString() : null)).ToList();
            Assert.Contains(listed, s => s.Hash == beforeRestore && s.Label is { } label && label.StartsWith("safety:", StringComparison.Ordinal));

            var undo = await silo.RunCliAsync("restore", "--session", "undo", "--to", beforeRestore, "--json");
            Assert.True(undo.ExitCode == 0, undo.ToString());
            Assert.Equal(beforeRestore, GitTree());
            Assert.All(paths, p => Assert.Equal(Content(p, "new"), File.ReadAllText(p)));

            // And the session carries on.
            await File.WriteAllTextAsync(Path.Combine(ws, "next.txt"), "next step\n");
            var next = await silo.RunCliAsync("track", "--session", "undo", "--json");
            Assert.True(next.ExitCode == 0, next.ToString());
            var nextResult = JsonDocument.Parse(next.Stdout).RootElement;
            Assert.Equal(GitTree(), nextResult.GetProperty("hash").GetString());
            Assert.Equal(paths.Count + 1, nextResult.GetProperty("files").GetInt32());
        }
    }
}
