using AgentSnapshots.Bench;

// dotnet run -c Release --project bench -- [scenario...]   (default: all; see Scenario.All)
// dotnet run -c Release --project bench -- load [--sessions 300] [--seconds 60] [--concurrency 32]   (see LoadRun)
// dotnet run -c Release --project bench -- http [--sessions 1000] [--steps 3] [--concurrency 8]      (see HttpRun)
// dotnet run -c Release --project bench -- disk [append-log] [seed]   (see DiskRun)
if (args.Length > 0 && args[0] == "load")
{
    return await LoadRun.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "http")
{
    return await HttpRun.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "disk")
{
    return await DiskRun.RunAsync(args[1..]) ? 0 : 1;
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
