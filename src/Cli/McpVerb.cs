using System.CommandLine;

namespace AgentSnapshots.Cli;

/// <summary><c>agentsnapshots mcp</c>: the silo's MCP tools over stdio (<see cref="McpRelay"/>).</summary>
internal static class McpVerb
{
    public static Command Create(GlobalOptions globals, TextWriter stderr)
    {
        var command = new Command("mcp",
            "serve the silo's MCP tools (snapshot, history, changes, diff, restore, revert) over stdio, for MCP clients that start servers as processes; each message is relayed to the silo's /mcp");
        command.SetAction(async (parse, ct) =>
        {
            var invocation = globals.Read(parse);
            ApiKey key;
            try
            {
                key = ApiKey.Find(invocation.KeyFile, invocation.Servers);
            }
            catch (CommandFailure e)
            {
                await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {e.Message}");
                return e.ExitCode;
            }
            using var http = SiloApi.CreateHttpClient(invocation.Servers);
            await using var stdout = Console.OpenStandardOutput();
            using var stdin = new StreamReader(Console.OpenStandardInput());
            using var relay = new McpRelay(http, invocation.Servers, key, stdout, stderr);
            await relay.RunAsync(stdin, ct);
            return ExitCodes.Success;
        });
        return command;
    }
}
