using System.CommandLine;
using AgentSnapshots.Client;

namespace AgentSnapshots.Cli;

/// <summary>The verbs: each one's options and arguments, its SDK call, and what it prints for people.</summary>
internal static class Verbs
{
    public static IEnumerable<Command> Create(VerbRunner runner)
    {
        var dir = new Option<string>("--dir")
        {
            Description = "the workspace directory (relative to the current directory); the first track binds the session to it",
            HelpName = "DIR",
        };
        dir.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { Length: 0 })
            {
                result.AddError("--dir is empty: pass a directory.");
            }
        });
        var label = new Option<string>("--label") { Description = "a label for the snapshot in the history", HelpName = "TEXT" };
        yield return runner.Verb(
            new Command("track", "snapshot the session's workspace now") { dir, label },
            _ => "snapshotting",
            async (client, parse, session, ct) =>
            {
                var result = await client.TrackAsync(session, parse.GetValue(dir), parse.GetValue(label), ct);
                return new VerbOutput(result, CliOutput.Track(result, parse.GetValue(label)));
            });

        var since = Hash("--since", "the snapshot to compare the workspace with", required: true);
        var after = new Option<string>("--after") { Description = "list the paths after this one (the next page of a long list)", HelpName = "PATH" };
        yield return runner.Verb(
            new Command("changes", "paths that differ between snapshot HASH and the workspace now") { since, after },
            _ => "comparing with the workspace",
            async (client, parse, session, ct) =>
            {
                var result = await client.ChangesAsync(session, parse.GetRequiredValue(since), parse.GetValue(after), ct);
                return new VerbOutput(result, CliOutput.Changes(result));
            });

        var from = Hash("--from", "the older snapshot", required: true);
        var diffTo = Hash("--to", "the newer snapshot; without it, the workspace now", required: false);
        var patch = new Option<bool>("--patch") { Description = "also print each file's patch preview (coloured on a terminal)" };
        yield return runner.Verb(
            new Command("diff", "what changed between two snapshots, or a snapshot and the workspace now") { from, diffTo, patch },
            parse => parse.GetValue(diffTo) is null ? "snapshotting and summarizing" : "summarizing",
            async (client, parse, session, ct) =>
            {
                var result = await client.DiffAsync(session, parse.GetRequiredValue(from), parse.GetValue(diffTo), ct);
                var text = CliOutput.Diff(result);
                if (parse.GetValue(patch))
                {
                    text += PatchOutput.Render(result, Terminal.ColoursStandardOutput);
                }
                return new VerbOutput(result, text);
            });

        var restoreTo = Hash("--to", "the snapshot to restore", required: true);
        yield return runner.Verb(
            new Command("restore", "make the workspace match snapshot HASH; a safety snapshot is taken first, so 'restore --to SAFETY' undoes it") { restoreTo },
            _ => "restoring",
            async (client, parse, session, ct) =>
            {
                var result = await client.RestoreAsync(session, parse.GetRequiredValue(restoreTo), ct);
                return new VerbOutput(result, CliOutput.Restore(result, "restored"));
            });

        var revertTo = Hash("--to", "the snapshot to take the files from", required: true);
        var files = new Argument<string[]>("FILE")
        {
            Description = "files or directories, relative to the workspace (put -- before names that start with -)",
            Arity = ArgumentArity.OneOrMore,
        };
        yield return runner.Verb(
            new Command("revert", "the same as restore for the listed files only") { revertTo, files },
            _ => "restoring",
            async (client, parse, session, ct) =>
            {
                var result = await client.RevertAsync(session, parse.GetRequiredValue(revertTo), parse.GetRequiredValue(files), ct);
                return new VerbOutput(result, CliOutput.Restore(result, "reverted"));
            });

        yield return SessionVerb(runner, "history", "the session's snapshots, oldest first", "working",
            (client, session, ct) => client.HistoryAsync(session, ct), CliOutput.History);
        yield return SessionVerb(runner, "usage", "disk used by the session's workspace store, snapshots kept, sessions", "measuring the store",
            (client, session, ct) => client.UsageAsync(session, ct), CliOutput.Usage);
        yield return SessionVerb(runner, "gc", "apply the retention policy (Snapshots:Retention) now and delete what no kept snapshot needs", "collecting",
            (client, session, ct) => client.CollectAsync(session, ct), CliOutput.Collected);
        yield return SessionVerb(runner, "delete", "delete the session; its snapshots no other session keeps are freed by the next gc", "deleting",
            (client, session, ct) => client.DeleteAsync(session, ct), CliOutput.Deleted);
    }

    /// <summary>A verb that takes nothing but the session.</summary>
    private static Command SessionVerb<T>(
        VerbRunner runner, string name, string description, string progress, Func<IAgentSnapshotsClient, string, CancellationToken, Task<T>> call, Func<T, string> text)
        where T : notnull =>
        runner.Verb(new Command(name, description), _ => progress, async (client, _, session, ct) =>
        {
            var result = await call(client, session, ct);
            return new VerbOutput(result, text(result));
        });

    private static Option<string> Hash(string name, string description, bool required) => new(name)
    {
        Description = description + "; 'history' lists the hashes",
        HelpName = "HASH",
        Required = required,
    };
}
