using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Foundation;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSnapshots.Bench;

/// <summary>
/// Snapshots of big trees through a real silo process (the SDK, so no process start is counted): a generated
/// workspace of N files plus N/2 ignored under node_modules, tracked first, then with no change, then after 10
/// edited files, with the file watcher and without it (a second silo with <c>Snapshots:Watch</c> off), beside
/// git on the same tree in the same run: <c>git add -A &amp;&amp; git write-tree</c> into a fresh repository and
/// <c>git status</c>. Also the silo's memory over idle once the workspace is tracked, its watches, and the index on disk.
/// <code>dotnet run -c Release --project bench -- bigtree [--sizes 10k,100k,1m] [--edits 10] [--repeats 7]</code>
/// </summary>
internal static class BigTreeRun
{
    private const int FilesPerDirectory = 100;
    private const long MiB = 1 << 20;

    private sealed record Settings(IReadOnlyList<int> Sizes, int Edits, int Repeats);

    private sealed record ModeResult(TimeSpan First, TimeSpan NoChange, TimeSpan Edited, TimeSpan GitStatus, TimeSpan GitStatusEdited,
        long MemoryOverIdle, int Watches, long IndexBytes, bool SameAsGit);

    private sealed record SizeResult(int Files, TimeSpan GitAddBeforeWatched, TimeSpan GitAddBeforeWalked, ModeResult Watched, ModeResult Walked, long StateBytes);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var settings = Parse(args);
        Console.WriteLine($"AgentSnapshots bigtree benchmark, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30} GiB, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {settings.Edits} edits, medians of {settings.Repeats}");
        var results = new List<SizeResult>();
        var allMet = true;
        foreach (var size in settings.Sizes)
        {
            var result = await RunSizeAsync(size, settings);
            results.Add(result);
            allMet &= Report(result, settings);
        }
        Console.WriteLine("== curve (medians; git beside each from the same run)");
        Console.WriteLine($"   {"files",9} | {"first: watched",14} {"walked",7} {"git add+write-tree",18} | {"no change: watched",18} {"walked",8} {"git status",10} | {$"{settings.Edits} edits: watched",17} {"walked",8} {"git status",10} | {"state",9} {"watches",8} {"RSS over idle",13}");
        foreach (var r in results)
        {
            Console.WriteLine($"   {r.Files,9:N0} | {Secs(r.Watched.First),14} {Secs(r.Walked.First),7} {Secs(Min(r.GitAddBeforeWatched, r.GitAddBeforeWalked)),18} | {Secs(r.Watched.NoChange),18} {Secs(r.Walked.NoChange),8} {Secs(r.Walked.GitStatus),10} | {Secs(r.Watched.Edited),17} {Secs(r.Walked.Edited),8} {Secs(r.Walked.GitStatusEdited),10} | {Mib(r.StateBytes),9} {r.Watched.Watches,8:N0} {Mib(r.Watched.MemoryOverIdle),13}");
        }
        return allMet ? 0 : 1;
    }

    private static async Task<SizeResult> RunSizeAsync(int files, Settings settings)
    {
        var root = Directory.CreateTempSubdirectory("agentsnapshots-bigtree-").FullName;
        try
        {
            var work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            var generate = Stopwatch.StartNew();
            var tracked = Generate(work, files);
            Console.WriteLine($"== bigtree {files:N0} files (+{files / 2:N0} ignored under node_modules) in {files / FilesPerDirectory:N0} directories: generated in {generate.Elapsed.TotalSeconds:F1} s");
            var random = new Random(files);

            // git's add and write-tree into a fresh repository right before each first track (the disk's pace drifts);
            // the first repository, committed, then serves git status.
            var (gitTree, beforeWatched, gitDir) = GitAddWriteTree(root, work, "git-1");
            var commit = Git(root, "--git-dir", gitDir, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit-tree", gitTree, "-m", "bench").Trim();
            Git(root, "--git-dir", gitDir, "update-ref", "HEAD", commit);
            Console.WriteLine($"   git add -A && git write-tree (fresh repository) {Secs(beforeWatched)}");
            var watched = await RunModeAsync(watch: true, work, tracked, gitTree, null, settings, random, root);

            Status(root, gitDir, work);
            var (_, beforeWalked, _) = GitAddWriteTree(root, work, "git-2");
            Console.WriteLine($"   git add -A && git write-tree (fresh repository) {Secs(beforeWalked)}");
            var walked = await RunModeAsync(watch: false, work, tracked, "", gitDir, settings, random, root);
            return new SizeResult(files, beforeWatched, beforeWalked, watched, walked, StateBytes(work, Path.Combine(root, "data-walked"), root));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// One silo (watcher on or off) tracking the tree: first, no-change and edited tracks. With <paramref name="statusGitDir"/>,
    /// each track is paired with a git status right after it (the same edits pending), so both see the machine alike.
    /// </summary>
    private static async Task<ModeResult> RunModeAsync(bool watch, string work, List<string> tracked, string gitTree, string? statusGitDir,
        Settings settings, Random random, string root)
    {
        var mode = watch ? "watched" : "walked";
        var dataDir = Path.Combine(root, "data-" + mode);
        var siloSettings = new Dictionary<string, string>
        {
            ["Snapshots__Watch"] = watch ? "true" : "false",
            // The generated tree is meant to be this big: at 1m it holds just over the default limit of 1,000,000 files.
            ["Snapshots__MaxFilesPerWorkspace"] = (2L * tracked.Count + 1_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var silo = await BenchSilo.StartAsync(dataDir, root, maxFileBytes: 1L << 30, siloSettings);
        using var host = BenchSilo.ClientHost(silo.GatewayPort);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IAgentSnapshotsClient>();

        // Warm the code paths on a tiny workspace so the idle figure is a steady state.
        var warm = Directory.CreateDirectory(Path.Combine(root, "warm-" + mode)).FullName;
        await File.WriteAllTextAsync(Path.Combine(warm, "a.txt"), "a\n");
        await client.TrackAsync("warm-" + mode, warm);
        await File.WriteAllTextAsync(Path.Combine(warm, "a.txt"), "b\n");
        await client.TrackAsync("warm-" + mode, warm);
        await Task.Delay(500);
        var idle = ProcessMemory.ResidentBytes(silo.ProcessId);
        // The host watches its own configuration files too: count only the watches the workspace adds.
        var idleWatches = InotifyWatches.Count(silo.ProcessId);

        var session = "bigtree-" + mode;
        var first = await Time(() => client.TrackAsync(session, work, "first"));
        var sameAsGit = gitTree.Length == 0 || first.Result.Hash == gitTree;
        // One more track lets files written in the last two seconds before the first one (racy then) be trusted.
        await client.TrackAsync(session);
        var noChange = new List<TimeSpan>();
        var edited = new List<TimeSpan>();
        var status = new List<TimeSpan>();
        var statusEdited = new List<TimeSpan>();
        for (var i = 0; i < settings.Repeats; i++)
        {
            noChange.Add((await Time(() => client.TrackAsync(session))).Wall);
            if (statusGitDir is not null) status.Add(Status(root, statusGitDir, work));
        }
        for (var i = 0; i < settings.Repeats; i++)
        {
            Edit(work, tracked, settings.Edits, random);
            edited.Add((await Time(() => client.TrackAsync(session))).Wall);
            if (statusGitDir is not null) statusEdited.Add(Status(root, statusGitDir, work));
        }
        await Task.Delay(1000);
        var memory = ProcessMemory.ResidentBytes(silo.ProcessId) - idle;
        var watches = InotifyWatches.Count(silo.ProcessId) - idleWatches;
        var store = Path.Combine(dataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(work)!));
        var indexBytes = Directory.EnumerateFiles(store, "agentsnapshots.index*").Sum(f => new FileInfo(f).Length);
        var result = new ModeResult(first.Wall, Median(noChange), Median(edited), Median(status), Median(statusEdited), memory, watches, indexBytes, sameAsGit);
        Console.WriteLine($"   watcher {(watch ? "on: " : "off:")} first {Secs(result.First)}{(sameAsGit ? " (tree equals git's)" : " (TREE DIFFERS FROM GIT'S)")}, no change {Secs(result.NoChange)}" +
            (statusGitDir is null ? "" : $" (git status {Secs(result.GitStatus)})") + $", {settings.Edits} edits {Secs(result.Edited)}" +
            (statusGitDir is null ? "" : $" (git status {Secs(result.GitStatusEdited)})") +
            $"; silo RSS over idle {Mib(memory)}, {watches:N0} watches, index {Mib(indexBytes)} on disk");
        await host.StopAsync();
        return result;
    }

    private static bool Report(SizeResult r, Settings settings)
    {
        var checks = new List<(string Target, bool Met)>
        {
            ($"no change with the watcher <= 20 ms ({Secs(r.Watched.NoChange)})", r.Watched.NoChange <= TimeSpan.FromMilliseconds(20)),
            ($"no change without it <= 0.5 x git status ({Ratio(r.Walked.NoChange, r.Walked.GitStatus)} x: {Secs(r.Walked.NoChange)} vs {Secs(r.Walked.GitStatus)})", r.Walked.NoChange <= r.Walked.GitStatus / 2),
            ($"{settings.Edits} edits with the watcher <= 50 ms ({Secs(r.Watched.Edited)})", r.Watched.Edited <= TimeSpan.FromMilliseconds(50)),
            ($"{settings.Edits} edits without it <= 1.0 x git status ({Ratio(r.Walked.Edited, r.Walked.GitStatusEdited)} x: {Secs(r.Walked.Edited)} vs {Secs(r.Walked.GitStatusEdited)})", r.Walked.Edited <= r.Walked.GitStatusEdited),
            ($"first track <= git add -A && git write-tree run just before it ({Secs(r.Watched.First)} vs {Secs(r.GitAddBeforeWatched)} watched, {Secs(r.Walked.First)} vs {Secs(r.GitAddBeforeWalked)} walked)", r.Watched.First <= r.GitAddBeforeWatched && r.Walked.First <= r.GitAddBeforeWalked),
            ("first tree equals git's", r.Watched.SameAsGit),
        };
        foreach (var (target, met) in checks) Console.WriteLine($"   {(met ? "met " : "MISS")} {target}");
        Console.WriteLine($"   the workspace's state in memory: {Mib(r.StateBytes)} managed (measured in this process over the same index); its {r.Watched.Watches:N0} watches hold about {r.Watched.Watches / 1024.0:F1} MiB of kernel memory (about 1 KiB each)");
        Console.WriteLine();
        return checks.All(c => c.Met);
    }

    /// <summary>git add -A into a fresh repository, then write-tree: the tree, the wall time of both, the repository.</summary>
    private static (string Tree, TimeSpan Wall, string GitDir) GitAddWriteTree(string root, string work, string name)
    {
        var gitDir = Path.Combine(root, name);
        Git(root, "init", "-q", "--bare", gitDir);
        var add = Measured.Run(root, null, "git", "--git-dir", gitDir, "--work-tree", work, "add", "-A");
        var writeTree = Measured.Run(root, null, "git", "--git-dir", gitDir, "write-tree");
        return (writeTree.Output.Trim(), add.Wall + writeTree.Wall, gitDir);
    }

    /// <summary>Managed memory of a workspace's state over an existing store's index (loaded and walked once, as a silo holds it).</summary>
    private static long StateBytes(string work, string dataDir, string root)
    {
        var options = new SnapshotsOptions { DataDir = dataDir, WorkspaceRoots = [root] };
        var before = ProcessMemory.ManagedBytesAfterCollection();
        using var workspace = Workspace.Open(WorkspaceIdentity.RealPath(work)!, options);
        workspace.Snapshot();
        var after = ProcessMemory.ManagedBytesAfterCollection();
        GC.KeepAlive(workspace);
        return after - before;
    }

    /// <summary>
    /// Writes <paramref name="files"/> files of 64 to 1,000 bytes of text, 100 to a directory two levels down, plus half
    /// as many under node_modules (ignored by the root's .gitignore); returns the tracked files' paths.
    /// </summary>
    internal static List<string> Generate(string work, int files)
    {
        File.WriteAllText(Path.Combine(work, ".gitignore"), "node_modules/\n*.log\n");
        var random = new Random(1);
        var tracked = new List<string>(files);
        var buffer = new byte[1000];
        for (var i = 0; i < files; i++)
        {
            var dir = i / FilesPerDirectory;
            var path = Path.Combine(work, "src", $"m{dir / 100:D3}", $"p{dir % 100:D2}", $"file{i % FilesPerDirectory:D3}.ts");
            if (i % FilesPerDirectory == 0) Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Text(buffer, random));
            tracked.Add(path);
        }
        for (var i = 0; i < files / 2; i++)
        {
            var dir = i / 50;
            var path = Path.Combine(work, "node_modules", $"pkg{dir:D5}", "lib", $"index{i % 50:D2}.js");
            if (i % 50 == 0) Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Text(buffer, random));
        }
        return tracked;
    }

    private static byte[] Text(byte[] buffer, Random random)
    {
        var length = random.Next(64, buffer.Length);
        for (var j = 0; j < length; j++) buffer[j] = j % 60 == 59 ? (byte)'\n' : (byte)('a' + random.Next(26));
        return buffer[..length];
    }

    internal static void Edit(string work, List<string> tracked, int count, Random random)
    {
        var buffer = new byte[1000];
        for (var i = 0; i < count; i++) File.WriteAllBytes(tracked[random.Next(tracked.Count)], Text(buffer, random));
    }

    private static TimeSpan Status(string root, string gitDir, string work) =>
        Measured.Run(root, null, keepOutput: false, "git", "--git-dir", gitDir, "--work-tree", work, "status", "--porcelain").Wall;

    private static async Task<(T Result, TimeSpan Wall)> Time<T>(Func<Task<T>> operation)
    {
        var sw = Stopwatch.StartNew();
        var result = await operation();
        return (result, sw.Elapsed);
    }

    private static TimeSpan Median(List<TimeSpan> walls)
    {
        if (walls.Count == 0) return TimeSpan.Zero;
        var sorted = walls.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static Settings Parse(IReadOnlyList<string> args)
    {
        var sizes = new List<int> { 10_000, 100_000 };
        int edits = 10, repeats = 7;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--sizes" when i + 1 < args.Count:
                    sizes = args[++i].Split(',').Select(ParseSize).ToList();
                    break;
                case "--edits" when i + 1 < args.Count:
                    edits = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--repeats" when i + 1 < args.Count:
                    repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown bigtree argument '{args[i]}'; use --sizes 10k,100k,1m --edits 10 --repeats 7");
            }
        }
        return new Settings(sizes, edits, repeats);
    }

    internal static int ParseSize(string text)
    {
        text = text.Trim().ToLowerInvariant();
        var multiplier = text.EndsWith('k') ? 1_000 : text.EndsWith('m') ? 1_000_000 : 1;
        return int.Parse(multiplier == 1 ? text : text[..^1], CultureInfo.InvariantCulture) * multiplier;
    }

    private static string Git(string cwd, params string[] args) => Measured.Run(cwd, null, "git", args).Output;

    private static string Secs(TimeSpan t) => t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:F1} ms" : $"{t.TotalSeconds:F2} s";

    private static string Mib(long bytes) => $"{bytes / (double)MiB:F1} MiB";

    private static string Ratio(TimeSpan a, TimeSpan b) => (a.TotalSeconds / Math.Max(b.TotalSeconds, 1e-9)).ToString("F2", CultureInfo.InvariantCulture);
}
