using AgentSnapshots.Silo;
using Microsoft.Extensions.Hosting;

// appsettings.json is read from next to the binaries; relative paths in it (Snapshots:DataDir) resolve against the current directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

builder.AddAgentSnapshotsSilo();

await builder.Build().RunAsync();
