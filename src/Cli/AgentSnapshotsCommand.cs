using System.CommandLine;
using System.CommandLine.Invocation;

namespace AgentSnapshots.Cli;

/// <summary>
/// The command line: the verbs under one root with the global options, help, <c>--version</c> and completions
/// (the <c>[suggest]</c> directive). A command line that does not parse exits 2 with one line on stderr.
/// </summary>
internal static class AgentSnapshotsCommand
{
    public const string Name = "agentsnapshots";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand(
            "AgentSnapshots: snapshots of an AI coding agent's workspace, kept by the AgentSnapshots silo "
            + "(start one with 'dotnet run --project src/Silo').\n"
            + "Exit codes: 0 success, 2 bad input (one line on stderr), 1 any other failure.");
        foreach (var option in globals.All)
        {
            root.Options.Add(option);
        }
        var verbs = Verbs.Create(new VerbRunner(globals, stdout, stderr)).ToList();
        verbs.Add(McpVerb.Create(globals, stderr));
        verbs.Add(HookVerb.Create(globals, stderr));
        verbs.Add(MigrateVerb.Create(stdout, stderr));
        foreach (var verb in verbs)
        {
            root.Subcommands.Add(verb);
        }

        // 'help' and 'help VERB' read as --help, as in git and dotnet.
        var parse = root.Parse(args is ["help", .. var rest] ? [.. rest, "--help"] : args);
        if (parse.Action is ParseErrorAction)
        {
            await stderr.WriteLineAsync($"{Name}: {Problem(parse, verbs)}");
            // A hook must never block its agent, which reads exit 2 as "block": even a mistyped hook command exits 0.
            return args.Contains(HookVerb.Name) ? ExitCodes.Success : ExitCodes.BadInput;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>The one thing to say about a command line that did not parse.</summary>
    private static string Problem(ParseResult parse, IReadOnlyList<Command> verbs)
    {
        var command = parse.CommandResult.Command;
        var names = string.Join(", ", verbs.Select(v => v.Name));
        if (command is RootCommand)
        {
            return parse.UnmatchedTokens.Count > 0 && !parse.UnmatchedTokens[0].StartsWith('-')
                ? $"unknown verb '{parse.UnmatchedTokens[0]}': expected one of {names} (--help for the usage)."
                : $"no verb given: expected one of {names} (--help for the usage).";
        }
        if (parse.UnmatchedTokens.Count > 0)
        {
            return $"{command.Name} does not take '{parse.UnmatchedTokens[0]}' ('{command.Name} --help' lists what it takes).";
        }
        return parse.Errors[0].Message;
    }
}
