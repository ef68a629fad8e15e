namespace AgentSnapshots.Client;

/// <summary>A command line that was not understood: the CLI prints the message and exits 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The parsed command line.</summary>
internal sealed record CliArguments(
    string Verb,
    string Session,
    bool Json,
    string Gateway,
    string? Postgres,
    string? Dir,
    string? Label,
    string? Since,
    string? From,
    string? To,
    IReadOnlyList<string> Files)
{
    public const string DefaultSession = "default";
    public const string SessionVariable = "AGENTSNAPSHOTS_SESSION";

    /// <summary>The gateways of <see cref="Gateway"/> (<c>A:1,B:2</c>).</summary>
    public IReadOnlyList<string> Gateways => [.. Gateway.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public static readonly string[] Verbs = ["track", "changes", "diff", "restore", "revert", "history", "usage", "gc", "delete"];

    /// <summary>Parses the arguments; null means help was asked for.</summary>
    public static CliArguments? Parse(IReadOnlyList<string> args)
    {
        string? verb = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var json = false;
        var files = new List<string>();
        var optionsEnded = false;
        string[] valued = ["--session", "--gateway", "--postgres", "--dir", "--label", "--since", "--from", "--to"];

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!optionsEnded && arg.StartsWith('-') && arg.Length > 1)
            {
                if (arg == "--")
                {
                    optionsEnded = true;
                    continue;
                }
                if (arg is "-h" or "--help" or "help")
                {
                    return null;
                }
                if (arg == "--json")
                {
                    json = true;
                    continue;
                }
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                var name = eq > 0 ? arg[..eq] : arg;
                if (!valued.Contains(name))
                {
                    throw new UsageException($"unknown option '{name}': run with --help for the usage.");
                }
                string value;
                if (eq > 0)
                {
                    value = arg[(eq + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"option {name} needs a value.");
                }
                if (!values.TryAdd(name, value))
                {
                    throw new UsageException($"option {name} is given twice.");
                }
                continue;
            }

            if (verb is null)
            {
                if (arg == "help")
                {
                    return null;
                }
                if (!Verbs.Contains(arg))
                {
                    throw new UsageException($"unknown verb '{arg}': expected one of {string.Join(", ", Verbs)}.");
                }
                verb = arg;
            }
            else
            {
                files.Add(arg);
            }
        }

        if (verb is null)
        {
            throw new UsageException($"no verb given: expected one of {string.Join(", ", Verbs)} (--help for the usage).");
        }

        string? Get(string name) => values.GetValueOrDefault(name);
        void Allow(params string[] allowed)
        {
            foreach (var name in values.Keys)
            {
                if (name is not ("--session" or "--gateway" or "--postgres") && !allowed.Contains(name))
                {
                    throw new UsageException($"{verb} does not take {name}.");
                }
            }
        }
        string Require(string name) => Get(name) is { Length: > 0 } v ? v : throw new UsageException($"{verb} needs {name} HASH (see 'history' for the hashes).");

        switch (verb)
        {
            case "track": Allow("--dir", "--label"); break;
            case "changes": Allow("--since"); Require("--since"); break;
            case "diff": Allow("--from", "--to"); Require("--from"); break;
            case "restore": Allow("--to"); Require("--to"); break;
            case "revert":
                Allow("--to");
                Require("--to");
                if (files.Count == 0)
                {
                    throw new UsageException("revert needs at least one FILE after --to HASH (paths relative to the workspace).");
                }
                break;
            case "history" or "usage" or "gc" or "delete": Allow(); break;
        }
        if (verb != "revert" && files.Count > 0)
        {
            throw new UsageException($"{verb} takes no positional arguments (got '{files[0]}').");
        }
        if (values.ContainsKey("--gateway") && values.ContainsKey("--postgres"))
        {
            throw new UsageException("--gateway and --postgres both given: reach the cluster through one of them.");
        }
        if (Get("--postgres") is { } pg && string.IsNullOrWhiteSpace(pg))
        {
            throw new UsageException("--postgres is empty: pass a connection string such as 'Host=db;Username=agentsnapshots;Password=...;Database=agentsnapshots'.");
        }
        if (Get("--dir") is { Length: 0 })
        {
            throw new UsageException("--dir is empty: pass a directory.");
        }

        var session = Get("--session") ?? (Environment.GetEnvironmentVariable(SessionVariable) is { Length: > 0 } fromEnv ? fromEnv : DefaultSession);
        return new CliArguments(
            verb,
            session,
            json,
            Get("--gateway") ?? AgentSnapshotsClientOptions.DefaultGateway,
            Get("--postgres"),
            Get("--dir"),
            Get("--label"),
            Get("--since"),
            Get("--from"),
            Get("--to"),
            files);
    }

    public const string Usage = """
        AgentSnapshots: snapshots of an AI coding agent's workspace, kept by the AgentSnapshots silo.

        usage: dotnet run --project src/Client -- <verb> [--session ID] [--json] [--gateway HOST:PORT[,HOST:PORT...] | --postgres CONNSTR] [options]

        verbs:
          track   [--dir DIR] [--label TEXT]  snapshot the session's workspace now; the first track binds
                                              the session to DIR (relative to the current directory)
          changes --since HASH                paths that differ between snapshot HASH and the workspace now
          diff    --from HASH [--to HASH]     what changed between two snapshots (no --to: the workspace now)
          restore --to HASH                   make the workspace match snapshot HASH; a safety snapshot is
                                              taken first, so 'restore --to SAFETY' undoes it
          revert  --to HASH FILE...           the same for the listed files only (paths relative to the workspace)
          history                             the session's snapshots, oldest first
          usage                               disk used by the session's workspace store, snapshots kept, sessions
          gc                                  apply the retention policy (Snapshots:Retention) now and delete
                                              what no kept snapshot needs
          delete                              delete the session; its snapshots no other session keeps are
                                              freed by the next gc

        options:
          --session ID         the session: 1-128 letters, digits or . _ : -
                               (default: $AGENTSNAPSHOTS_SESSION, else "default")
          --json               print JSON for programs instead of tables
          --gateway HOST:PORT[,HOST:PORT...]
                               the silo's gateway, or several silos' gateways (default 127.0.0.1:30000)
          --postgres CONNSTR   reach a cluster through its PostgreSQL membership table (the silos'
                               ConnectionStrings:Postgres); replaces --gateway
          -h, --help           show this help

        The silo must be running: dotnet run --project src/Silo
        Exit codes: 0 success, 2 bad input (one line on stderr), 1 any other failure.
        """;
}
