using AgentSnapshots.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// appsettings.json is read from next to the binaries; relative paths in it (Snapshots:DataDir) resolve against the current directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

builder.AddAgentSnapshotsSilo();

using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AgentSnapshots.Silo");
try
{
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    SiloLog.InvalidSettings(logger, e.Failures);
    return 2;
}
