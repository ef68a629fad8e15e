using AgentSnapshots.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// appsettings.json is read from next to the binaries; relative paths in it (Snapshots:DataDir) resolve against the current directory.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

WebApplication app;
try
{
    builder.AddAgentSnapshotsSilo();
    builder.AddAgentSnapshotsOperations();
    app = builder.Build();
}
catch (OptionsValidationException e)
{
    using var factory = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
    var startLogger = factory.CreateLogger("AgentSnapshots.Silo");
    SiloLog.InvalidSettings(startLogger, e.Failures);
    return 2;
}

await using (app)
{
    app.MapAgentSnapshotsOperations();
    var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AgentSnapshots.Silo");
    try
    {
        await app.RunAsync();
        return 0;
    }
    catch (OptionsValidationException e)
    {
        SiloLog.InvalidSettings(logger, e.Failures);
        return 2;
    }
    catch (AggregateException e) when (e.InnerExceptions.All(i => i is OptionsValidationException))
    {
        // Several sections failed their validation at start: still one line.
        var failures = e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(i => i.Failures).ToList();
        SiloLog.InvalidSettings(logger, failures);
        return 2;
    }
}
