using AgentSnapshots.Bench;

// dotnet run -c Release --project bench -- [scenario...]   (default: all; see Scenario.All)
// dotnet run -c Release --project bench -- load [--sessions 300] [--seconds 60] [--concurrency 32] [--silos 1]   (see LoadRun; --silos 2+: a cluster on postgres)
// dotnet run -c Release --project bench -- http [--sessions 1000] [--steps 3] [--concurrency 8]      (see HttpRun)
// dotnet run -c Release --project bench -- cli [--calls 20] [--steps 10] [--before OLD.dll]   (track, hook claude-code, history per call; see CliCallRun)
// dotnet run -c Release --project bench -- bigtree [--sizes 10k,100k,1m] [--edits 10] [--repeats 7]   (see BigTreeRun)
// dotnet run -c Release --project bench -- verify [--files 100k] [--tracks 1000] [--edits 10] [--every 1000]   (see VerifyRun)
// dotnet run -c Release --project bench -- chaos [--silos 3] [--files 100000] [--big 3] [--seed 3] ...  (see ChaosRun; on demand only)
// dotnet run -c Release --project bench -- watchers [--directories 100000]   (FileSystemWatcher against the engine's inotify binding)
// dotnet run -c Release --project bench -- disk [append-log] [seed]   (see DiskRun)
// dotnet run -c Release --project bench -- remote [--files 100000] [--edits 10] [--repeats 5] [--restore-files 20000] ...   (see RemoteRun)
// dotnet run -c Release --project bench -- ui [--steps 5000] [--files 1000] [--loads 5] [--live 10] [--seed-mib 224]   (see UiRun; needs chromium; --seed-mib 0 skips the seed step)
// dotnet run -c Release --project bench -- oracle [--seeds 50] [--steps 2000] [--first-seed 1] [--watch on|off|both]   (see OracleRun)
// dotnet run -c Release --project bench -- libgit2 [--big1-mib 128] [--big2-mib 96] [--small-kib 512]   (our diff summary beside LibGit2Sharp's; see Libgit2Run)
Func<string[], Task<int>>? command = args.Length == 0 ? null : args[0] switch
{
    "load" => LoadRun.RunAsync,
    "http" => HttpRun.RunAsync,
    "cli" => CliCallRun.RunAsync,
    "bigtree" => BigTreeRun.RunAsync,
    "verify" => VerifyRun.RunAsync,
    "watchers" => rest => Task.FromResult(WatcherComparison.Run(rest)),
    "chaos" => ChaosRun.RunAsync,
    "disk" => async rest => await DiskRun.RunAsync(rest) ? 0 : 1,
    "oracle" => OracleRun.RunAsync,
    "remote" => RemoteRun.RunAsync,
    "ui" => UiRun.RunAsync,
    "libgit2" => Libgit2Run.RunAsync,
    _ => null,
};
if (command is not null)
{
    return await command(args[1..]);
}
var names = args.Length > 0 ? args : Scenario.All.Select(s => s.Name).ToArray();
var unknown = names.Except(Scenario.All.Select(s => s.Name)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown scenario(s): {string.Join(", ", unknown)}; known: {string.Join(", ", Scenario.All.Select(s => s.Name))}");
    return 2;
}
Console.WriteLine($"AgentSnapshots benchmark, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30} GiB, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; seed script {Scenario.SeedScript}");
var allMet = true;
foreach (var scenario in Scenario.All.Where(s => names.Contains(s.Name)))
{
    allMet &= await BenchRun.RunAsync(scenario);
}
return allMet ? 0 : 1;
