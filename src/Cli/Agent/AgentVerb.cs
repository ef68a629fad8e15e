using System.CommandLine;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Remote;
using AgentSnapshots.Engine.Watching;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Cli.Agent;

/// <summary>
/// <c>agentsnapshots agent --workspace NAME --dir DIR</c>: the workspace agent. Runs beside the files (a sandbox, a
/// sidecar container), connects out to a silo with the tenant's key, and serves workspace NAME of the tenant until
/// stopped (Ctrl+C, SIGTERM), reconnecting to any of the given silos with backoff when a connection is lost.
/// </summary>
internal static class AgentVerb
{
    public static Command Create(VerbRunner runner)
    {
        var workspace = new Option<string>("--workspace")
        {
            Description = $"the remote workspace's name: 1-{WorkspaceNames.MaxLength} letters, digits or . _ -; sessions bind to it with 'track --workspace NAME'",
            HelpName = "NAME",
            Required = true,
        };
        workspace.Validators.Add(result =>
        {
            if (!WorkspaceNames.IsValid(result.GetValueOrDefault<string>()))
            {
                result.AddError($"--workspace '{result.GetValueOrDefault<string>()}' is not accepted: use 1 to {WorkspaceNames.MaxLength} characters from letters, digits and . _ -");
            }
        });
        var dir = new Option<string>("--dir") { Description = "the directory to serve (it must exist; it may be empty, to restore a snapshot into)", HelpName = "DIR", Required = true };
        var cache = new Option<string>("--cache-dir")
        {
            Description = "where the agent keeps its stat index and trees (no file contents once the silo holds them); default ${XDG_CACHE_HOME:-~/.cache}/agentsnapshots/agent",
            HelpName = "DIR",
        };
        var command = new Command("agent", "serve a remote workspace: connect out to a silo and snapshot and restore DIR for the sessions bound to workspace NAME (runs until stopped)")
        {
            workspace, dir, cache,
        };
        command.SetAction(async (parse, ct) =>
        {
            var invocation = runner.Read(parse);
            try
            {
                var key = ApiKey.Find(invocation.KeyFile, invocation.Servers);
                var directory = Directory(parse.GetRequiredValue(dir));
                var options = new SnapshotsOptions
                {
                    DataDir = parse.GetValue(cache) ?? DefaultCache(),
                    // Watches kept however long the agent idles: a sandbox's agent serves one workspace.
                    Watch = { IdleAfter = TimeSpan.FromDays(1), MaxWorkspaces = 1 },
                };
                var level = invocation.Verbose ? LogLevel.Debug : LogLevel.Information;
                using var watches = new WatchRegistry(options.Watch, new StderrLogger<WatchRegistry>(runner.Stderr, level));
                using var agent = new WorkspaceAgent(directory, options, new StderrLogger<WorkspaceAgent>(runner.Stderr, level), watches);
                var loop = new AgentConnectionLoop(agent, parse.GetRequiredValue(workspace), invocation.Servers, key, new StderrLogger<AgentConnectionLoop>(runner.Stderr, level));
                return await loop.RunAsync(ct);
            }
            catch (CommandFailure e)
            {
                await runner.Stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {e.Message}");
                return e.ExitCode;
            }
        });
        return command;
    }

    private static string Directory(string given)
    {
        var full = Path.GetFullPath(given);
        var canonical = WorkspaceIdentity.RealPath(full);
        if (canonical is null || !System.IO.Directory.Exists(canonical))
        {
            throw CommandFailure.BadInput($"--dir {full} does not exist or is not a directory: create it (an empty one is fine, to restore a snapshot into).");
        }
        return canonical;
    }

    private static string DefaultCache()
    {
        var cacheHome = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cacheHome, "agentsnapshots", "agent");
    }
}
