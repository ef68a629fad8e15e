using System.Diagnostics;
using System.Globalization;
using AgentSnapshots.Client;
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

    private sealed record ModeResult(TimeSpan First, TimeSpan NoChange, TimeSpan Edited, long MemoryOverIdle, int Watches, long IndexBytes, bool SameAsGit);

    private sealed record SizeResult(int Files, TimeSpan GitAddWriteTree, TimeSpan GitStatus, TimeSpan GitStatusEdited, ModeResult Watched, ModeResult Walked);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, string siloDll)
    {
        var settings = Parse(args);
        Console.WriteLine($"AgentSnapshots bigtree benchmark, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30} GiB, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {settings.Edits} edits, medians of {settings.Repeats}");
        var results = new List<SizeResult>();
        var allMet = true;
        foreach (var size in settings.Sizes)
        {
            var result = await RunSizeAsync(size, settings, siloDll);
            results.Add(result);
            allMet &= Report(result, settings);
        }
        Console.WriteLine("== curve (track wall; git beside it)");
        Console.WriteLine($"   {"files",10} | {"first",9} {"git add+write-tree",19} | {"no change watched",17} {"walked",9} {"git status",11} | {"10 edits watched",16} {"walked",9} {"git status",11} | {"memory watched",15} {"walked",9} {"watches",8}");
        foreach (var r in results)
        {
            Console.WriteLine($"   {r.Files,10:N0} | {Secs(r.Watched.First),9} {Secs(r.GitAddWriteTree),19} | {Secs(r.Watched.NoChange),17} {Secs(r.Walked.NoChange),9} {Secs(r.GitStatus),11} | {Secs(r.Watched.Edited),16} {Secs(r.Walked.Edited),9} {Secs(r.GitStatusEdited),11} | {Mib(r.Watched.MemoryOverIdle),15} {Mib(r.Walked.MemoryOverIdle),9} {r.Watched.Watches,8:N0}");
        }
        return allMet ? 0 : 1;
    }

    private static async Task<SizeResult> RunSizeAsync(int files, Settings settings, string siloDll)
    {
        var root = Directory.CreateTempSubdirectory("agentsnapshots-bigtree-").FullName;
        try
        {
            var work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            var generate = Stopwatch.StartNew();
            var tracked = Generate(work, files);
            Console.WriteLine($"== bigtree {files:N0} files (+{files / 2:N0} ignored under node_modules) in {files / FilesPerDirectory:N0} directories: generated in {generate.Elapsed.TotalSeconds:F1} s");

            // git on the same tree: a fresh repository's add and write-tree, then status with its index in place.
            var gitDir = Path.Combine(root, "git");
            Git(root, "init", "-q", "--bare", gitDir);
            var add = Measured.Run(root, null, "git", "--git-dir", gitDir, "--work-tree", work, "add", "-A");
            var writeTree = Measured.Run(root, null, "git", "--git-dir", gitDir, "write-tree");
            var gitAdd = add.Wall + writeTree.Wall;
            var gitTree = writeTree.Output.Trim();
            // Committed, so status compares against HEAD as in a working repository (and prints nothing when clean).
            var commit = Git(root, "--git-dir", gitDir, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit-tree", gitTree, "-m", "bench").Trim();
            Git(root, "--git-dir", gitDir, "update-ref", "HEAD", commit);
            Status(root, gitDir, work);
            var gitStatus = Median(settings.Repeats, () => Status(root, gitDir, work));
            Console.WriteLine($"   git add -A && git write-tree (fresh repository) {Secs(gitAdd)}; git status {Secs(gitStatus)}");

            var random = new Random(files);
            var watched = await RunModeAsync("watcher on", watch: true, work, tracked, gitTree, settings, random, siloDll, root);
            var walked = await RunModeAsync("watcher off", watch: false, work, tracked, "", settings, random, siloDll, root);

            // git status with edits pending, as a track after edits sees them.
            var gitStatusEdited = Median(settings.Repeats, () =>
            {
                Edit(work, tracked, settings.Edits, random);
                return Status(root, gitDir, work);
            });
            return new SizeResult(files, gitAdd, gitStatus, gitStatusEdited, watched, walked);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<ModeResult> RunModeAsync(string name, bool watch, string work, List<string> tracked, string gitTree,
        Settings settings, Random random, string siloDll, string root)
    {
        var dataDir = Path.Combine(root, "data-" + (watch ? "watched" : "walked"));

        var siloSettings = new Dictionary<string, string> { ["Snapshots__Watch"] = watch ? "true" : "false" };
        using var silo = await SiloProcess.StartAsync(siloDll, dataDir, root, maxFileBytes: 1L << 30, siloSettings);
        using var host = silo.ClientHost();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<AgentSnapshotsClient>();

        // Warm the code paths on a tiny workspace so the idle figure is a steady state.
        var mode = watch ? "watched" : "walked";
        var warm = Directory.CreateDirectory(Path.Combine(root, "warm-" + mode)).FullName;
        await File.WriteAllTextAsync(Path.Combine(warm, "a.txt"), "a\n");
        await client.Track("warm-" + mode, warm);
        await File.WriteAllTextAsync(Path.Combine(warm, "a.txt"), "b\n");
        await client.Track("warm-" + mode, warm);
        await Task.Delay(500);
        var idle = ProcessMemory.ResidentBytes(silo.Pid);
        // The host watches its own configuration files too: count only the watches the workspace adds.
        var idleWatches = InotifyWatches.Count(silo.Pid);

        var session = "bigtree-" + (watch ? "watched" : "walked");
        var first = await Time(() => client.Track(session, work, "first"));
        var sameAsGit = gitTree.Length == 0 || first.Result.Hash == gitTree;
        // One more track lets files written in the last two seconds before the first one (racy then) be trusted.
        await client.Track(session);
        var noChange = await MedianAsync(settings.Repeats, async () => (await Time(() => client.Track(session))).Wall);
        var edited = await MedianAsync(settings.Repeats, async () =>
        {
            Edit(work, tracked, settings.Edits, random);
            return (await Time(() => client.Track(session))).Wall;
        });
        await Task.Delay(1000);
        var memory = ProcessMemory.ResidentBytes(silo.Pid) - idle;
        var watches = InotifyWatches.Count(silo.Pid) - idleWatches;
        var store = Path.Combine(dataDir, "workspaces", Engine.WorkspaceIdentity.IdFor(Engine.WorkspaceIdentity.RealPath(work)!));
        var indexBytes = Directory.EnumerateFiles(store, "agentsnapshots.index*").Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"   {name,-11}: first {Secs(first.Wall)}{(sameAsGit ? " (tree equals git's)" : " (TREE DIFFERS FROM GIT'S)")}, no change {Secs(noChange)}, {settings.Edits} edits {Secs(edited)}, silo memory over idle {Mib(memory)}, {watches:N0} watches, index {Mib(indexBytes)} on disk");
        await host.StopAsync();
        return new ModeResult(first.Wall, noChange, edited, memory, watches, indexBytes, sameAsGit);
    }

    private static bool Report(SizeResult r, Settings settings)
    {
        var checks = new List<(string Target, bool Met)>
        {
            ($"no change with the watcher <= 20 ms ({Secs(r.Watched.NoChange)})", r.Watched.NoChange <= TimeSpan.FromMilliseconds(20)),
            ($"no change without it <= 0.5 x git status ({Ratio(r.Walked.NoChange, r.GitStatus)} x: {Secs(r.Walked.NoChange)} vs {Secs(r.GitStatus)})", r.Walked.NoChange <= r.GitStatus / 2),
            ($"{settings.Edits} edits with the watcher <= 50 ms ({Secs(r.Watched.Edited)})", r.Watched.Edited <= TimeSpan.FromMilliseconds(50)),
            ($"{settings.Edits} edits without it <= 1.0 x git status ({Ratio(r.Walked.Edited, r.GitStatusEdited)} x: {Secs(r.Walked.Edited)} vs {Secs(r.GitStatusEdited)})", r.Walked.Edited <= r.GitStatusEdited),
            ($"first track <= git add -A && git write-tree ({Secs(r.Watched.First)} / {Secs(r.Walked.First)} vs {Secs(r.GitAddWriteTree)})", r.Watched.First <= r.GitAddWriteTree && r.Walked.First <= r.GitAddWriteTree),
            ("first tree equals git's", r.Watched.SameAsGit),
        };
        foreach (var (target, met) in checks) Console.WriteLine($"   {(met ? "met " : "MISS")} {target}");
        Console.WriteLine();
        return checks.All(c => c.Met);
    }

    /// <summary>
    /// Writes <paramref name="files"/> files of 64 to 1,000 bytes of text, 100 to a directory two levels down, plus half
    /// as many under node_modules (ignored by the root's .gitignore); returns the tracked files' paths.
    /// </summary>
    private static List<string> Generate(string work, int files)
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

    private static void Edit(string work, List<string> tracked, int count, Random random)
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

    private static TimeSpan Median(int repeats, Func<TimeSpan> measure)
    {
        var walls = Enumerable.Range(0, repeats).Select(_ => measure()).Order().ToList();
        return walls[walls.Count / 2];
    }

    private static async Task<TimeSpan> MedianAsync(int repeats, Func<Task<TimeSpan>> measure)
    {
        var walls = new List<TimeSpan>();
        for (var i = 0; i < repeats; i++) walls.Add(await measure());
        walls.Sort();
        return walls[walls.Count / 2];
    }

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

    private static int ParseSize(string text)
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
