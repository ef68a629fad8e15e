using System.CommandLine;
using System.Text.Json.Serialization.Metadata;

namespace AgentSnapshots.Cli;

/// <summary>The verbs: each one's options and arguments, its HTTP API call, and what it prints for people.</summary>
internal static class Verbs
{
    public static IEnumerable<Command> Create(VerbRunner runner)
    {
        var json = CliJson.Compact;
        var shown = CliJson.Indented;

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
        var workspace = new Option<string>("--workspace")
        {
            Description = "instead of --dir: a remote workspace, served by 'agentsnapshots agent --workspace NAME' beside its files; the first track binds the session to it",
            HelpName = "NAME",
        };
        yield return runner.Verb(
            new Command("track", "snapshot the session's workspace now") { dir, workspace, label },
            _ => "snapshotting",
            async (api, parse, session, ct) =>
            {
                if (parse.GetValue(dir) is not null && parse.GetValue(workspace) is not null)
                {
                    throw CommandFailure.BadInput("--dir and --workspace were both given: track a directory the silo reads (--dir) or a remote workspace served by an agent (--workspace), not both.");
                }
                // The silo has a current directory of its own: a relative --dir is this process's.
                var body = new TrackRequest(Absolute(parse.GetValue(dir)), parse.GetValue(label), parse.GetValue(workspace));
                var result = await api.CallAsync(HttpMethod.Post, session, "/snapshots", SiloApi.Json(body, json.TrackRequest), json.TrackResult, ct);
                return VerbOutput.Of(result, shown.TrackResult, CliOutput.Track(result, parse.GetValue(label)));
            });

        var since = Hash("--since", "the snapshot to compare the workspace with", required: true);
        var after = new Option<string>("--after") { Description = "list the paths after this one (the next page of a long list)", HelpName = "PATH" };
        yield return runner.Verb(
            new Command("changes", "paths that differ between snapshot HASH and the workspace now") { since, after },
            _ => "comparing with the workspace",
            async (api, parse, session, ct) =>
            {
                var query = Query(("since", parse.GetRequiredValue(since)), ("after", parse.GetValue(after)));
                var result = await api.CallAsync(HttpMethod.Get, session, "/changes" + query, null, json.ChangesResult, ct);
                return VerbOutput.Of(result, shown.ChangesResult, CliOutput.Changes(result));
            });

        var from = Hash("--from", "the older snapshot", required: true);
        var diffTo = Hash("--to", "the newer snapshot; without it, the workspace now", required: false);
        var patch = new Option<bool>("--patch") { Description = "also print each file's patch preview (coloured on a terminal)" };
        yield return runner.Verb(
            new Command("diff", "what changed between two snapshots, or a snapshot and the workspace now") { from, diffTo, patch },
            parse => parse.GetValue(diffTo) is null ? "snapshotting and summarizing" : "summarizing",
            async (api, parse, session, ct) =>
            {
                var query = Query(("from", parse.GetRequiredValue(from)), ("to", parse.GetValue(diffTo)));
                var result = await api.CallAsync(HttpMethod.Get, session, "/diff" + query, null, json.DiffSummary, ct);
                var text = CliOutput.Diff(result);
                if (parse.GetValue(patch))
                {
                    text += PatchOutput.Render(result, Terminal.ColoursStandardOutput);
                }
                return VerbOutput.Of(result, shown.DiffSummary, text);
            });

        var restoreTo = Hash("--to", "the snapshot to restore", required: true);
        yield return runner.Verb(
            new Command("restore", "make the workspace match snapshot HASH; a safety snapshot is taken first, so 'restore --to SAFETY' undoes it") { restoreTo },
            _ => "restoring",
            async (api, parse, session, ct) =>
            {
                var body = new RestoreRequest(parse.GetRequiredValue(restoreTo));
                var result = await api.CallAsync(HttpMethod.Post, session, "/restore", SiloApi.Json(body, json.RestoreRequest), json.RestoreResult, ct);
                return VerbOutput.Of(result, shown.RestoreResult, CliOutput.Restore(result, "restored"));
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
            async (api, parse, session, ct) =>
            {
                // Absolute paths inside the session's workspace are made relative by the silo, which knows the workspace.
                var body = new RevertRequest(parse.GetRequiredValue(revertTo), [.. parse.GetRequiredValue(files).Select(f => f.Replace('\\', '/'))]);
                var result = await api.CallAsync(HttpMethod.Post, session, "/revert", SiloApi.Json(body, json.RevertRequest), json.RestoreResult, ct);
                return VerbOutput.Of(result, shown.RestoreResult, CliOutput.Restore(result, "reverted"));
            });

        yield return SessionVerb(runner, "history", "the session's snapshots, oldest first", "working",
            HttpMethod.Get, "/snapshots", json.SessionHistory, shown.SessionHistory, CliOutput.History);
        yield return SessionVerb(runner, "usage", "disk used by the session's workspace store, snapshots kept, sessions", "measuring the store",
            HttpMethod.Get, "/usage", json.WorkspaceUsage, shown.WorkspaceUsage, CliOutput.Usage);
        yield return SessionVerb(runner, "gc", "apply the retention policy (Snapshots:Retention) now and delete what no kept snapshot needs", "collecting",
            HttpMethod.Post, "/gc", json.CollectionReport, shown.CollectionReport, CliOutput.Collected);
        yield return SessionVerb(runner, "delete", "delete the session; its snapshots no other session keeps are freed by the next gc", "deleting",
            HttpMethod.Delete, "", json.DeletedSession, shown.DeletedSession, CliOutput.Deleted);
        yield return Agent.AgentVerb.Create(runner);
        yield return UiVerb.Create(runner);
    }

    /// <summary>A verb that takes nothing but the session: one request without a body.</summary>
    private static Command SessionVerb<T>(
        VerbRunner runner, string name, string description, string progress, HttpMethod method, string path, JsonTypeInfo<T> reply, JsonTypeInfo<T> shown, Func<T, string> text) =>
        runner.Verb(new Command(name, description), _ => progress, async (api, _, session, ct) =>
        {
            var result = await api.CallAsync(method, session, path, null, reply, ct);
            return VerbOutput.Of(result, shown, text(result));
        });

    /// <summary>A snapshot hash option, checked for form before any silo is called.</summary>
    private static Option<string> Hash(string name, string description, bool required)
    {
        var option = new Option<string>(name)
        {
            Description = description + "; 'history' lists the hashes",
            HelpName = "HASH",
            Required = required,
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !SnapshotHash.TryParse(value, out _))
            {
                result.AddError($"{name} '{value}' is not a snapshot hash: give {SnapshotHash.Form}.");
            }
        });
        return option;
    }

    /// <summary>A query string of the given parameters (those without a value left out).</summary>
    private static string Query(params (string Name, string? Value)[] parameters) =>
        "?" + string.Join('&', parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!.Trim())}"));

    /// <summary>The directory made absolute against this process's current directory; blank or NUL-bearing ones go as given, for the silo to refuse.</summary>
    private static string? Absolute(string? directory) =>
        string.IsNullOrWhiteSpace(directory) || directory.Contains('\0', StringComparison.Ordinal) ? directory : Path.GetFullPath(directory);
}
