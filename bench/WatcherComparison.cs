using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Watching;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Bench;

/// <summary>
/// .NET's FileSystemWatcher against the engine's direct inotify binding on a tree of many directories (in this
/// process): the time and memory to start watching every directory, the watches placed, and the time from a write
/// to the watcher knowing of it. The engine places its watches during the walk a first track makes anyway, from the
/// directory handles it holds, so its cost is that track's time with the watcher minus without it.
/// <code>dotnet run -c Release --project bench -- watchers [--directories 100000]</code>
/// </summary>
internal static class WatcherComparison
{
    public static int Run(IReadOnlyList<string> args)
    {
        var directories = args.Count == 2 && args[0] == "--directories" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var root = Directory.CreateTempSubdirectory("agentsnapshots-watchers-").FullName;
        try
        {
            var work = Path.Combine(root, "work");
            var deepest = "";
            for (var i = 0; i < directories; i++)
            {
                deepest = Path.Combine(work, $"d{i / 1000:D3}", $"e{i % 1000:D3}");
                Directory.CreateDirectory(deepest);
                File.WriteAllText(Path.Combine(deepest, "f.txt"), "x");
            }
            Console.WriteLine($"== watchers: {directories:N0} directories ({directories / 1000 + 1:N0} more above them), one file each; inotify limit fs.inotify.max_user_watches = {File.ReadAllText("/proc/sys/fs/inotify/max_user_watches").Trim()}, max_user_instances = {File.ReadAllText("/proc/sys/fs/inotify/max_user_instances").Trim()}");
            work = WorkspaceIdentity.RealPath(work)!;

            // The engine: a first track reads every file into a store and records its index; later walks of a new
            // Workspace over that store (as after a silo restart) only stat, with or without placing watches.
            var options = new SnapshotsOptions { DataDir = Path.Combine(root, "data"), WorkspaceRoots = [root] };
            using (var first = Workspace.Open(work, options)) first.Snapshot();
            var before = ProcessMemory.ManagedBytesAfterCollection();
            var walked = Walk(work, options, null, out var unwatched, out _);
            var walkMemory = ProcessMemory.ManagedBytesAfterCollection() - before;
            unwatched.Dispose();
            using var registry = new WatchRegistry(new WatchOptions(), NullLogger<WatchRegistry>.Instance);
            before = ProcessMemory.ManagedBytesAfterCollection();
            var watched = Walk(work, options, registry, out var workspace, out var watches);
            var watchMemory = ProcessMemory.ManagedBytesAfterCollection() - before;
            File.WriteAllText(Path.Combine(deepest, "f.txt"), "changed");
            var seen = Stopwatch.StartNew();
            var next = workspace.Snapshot();
            seen.Stop();
            workspace.Dispose();
            Console.WriteLine($"   direct inotify (engine): a full walk that places the watches {Secs(watched)}, the same walk without {Secs(walked)} (watching adds {Secs(watched - walked)}); {watches:N0} watches in the silo's one instance; state +{walkMemory / (1 << 20):F1} MiB managed without watches, +{watchMemory / (1 << 20):F1} MiB with; a write is in the next track, which took {Secs(seen.Elapsed)} ({(next.FullWalk is null ? "watched" : "walked: " + next.FullWalk)})");

            // FileSystemWatcher: it enumerates the tree itself and watches every directory, ignored ones included.
            before = ProcessMemory.ManagedBytesAfterCollection();
            var start = Stopwatch.StartNew();
            using var fsw = new FileSystemWatcher(work) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.Attributes };
            using var changed = new ManualResetEventSlim();
            fsw.Changed += (_, e) => { if (e.FullPath.EndsWith("f.txt", StringComparison.Ordinal)) changed.Set(); };
            var errors = 0;
            fsw.Error += (_, _) => Interlocked.Increment(ref errors);
            fsw.EnableRaisingEvents = true;
            start.Stop();
            var fswMemory = ProcessMemory.ManagedBytesAfterCollection() - before;
            var fswWatches = InotifyWatches.Count(Environment.ProcessId);
            var latency = Stopwatch.StartNew();
            File.WriteAllText(Path.Combine(deepest, "f.txt"), "changed again");
            var delivered = changed.Wait(TimeSpan.FromSeconds(30));
            latency.Stop();
            Console.WriteLine($"   FileSystemWatcher: started in {Secs(start.Elapsed)}; {fswWatches:N0} watches (its own inotify instance); +{fswMemory / (1 << 20):F1} MiB managed; a write reached its handler in {(delivered ? Secs(latency.Elapsed) : "(never, 30 s)")} on its thread; {errors} errors");
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static TimeSpan Walk(string work, SnapshotsOptions options, WatchRegistry? registry, out Workspace workspace, out int watches)
    {
        workspace = Workspace.Open(work, options, null, registry);
        var sw = Stopwatch.StartNew();
        workspace.Snapshot();
        sw.Stop();
        watches = workspace.WatchedDirectories;
        return sw.Elapsed;
    }

    private static string Secs(TimeSpan t) => t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:F1} ms" : $"{t.TotalSeconds:F2} s";
}
