using System.CommandLine;

namespace AgentSnapshots.Cli;

/// <summary>The options every verb takes: which session, how to print, how to reach the silos.</summary>
internal sealed class GlobalOptions
{
    public const string SessionVariable = "AGENTSNAPSHOTS_SESSION";
    public const string DefaultSession = "default";

    public Option<string> Session { get; } = new("--session")
    {
        Description = $"the session: 1-{SessionIds.MaxLength} letters, digits or . _ : -; when not given, ${SessionVariable}, else \"{DefaultSession}\"",
        HelpName = "ID",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SessionVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultSession,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "print JSON for programs instead of tables",
        Recursive = true,
    };

    public Option<string> Gateway { get; } = new("--gateway")
    {
        Description = "the silo's gateway, or several silos' gateways",
        HelpName = "HOST:PORT[,HOST:PORT...]",
        Recursive = true,
        DefaultValueFactory = _ => Client.AgentSnapshotsClientOptions.DefaultGateway,
    };

    public Option<string> Postgres { get; } = new("--postgres")
    {
        Description = "reach a cluster through its PostgreSQL membership table (the silos' ConnectionStrings:Postgres); replaces --gateway",
        HelpName = "CONNSTR",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "also print the Orleans client's own log on stderr",
        Recursive = true,
    };

    public GlobalOptions()
    {
        Session.Validators.Add(result =>
        {
            var id = result.GetValueOrDefault<string>();
            if (!SessionIds.IsValidSessionId(id))
            {
                var from = result.Implicit ? $" (from ${SessionVariable})" : "";
                result.AddError($"--session '{id}'{from} is not accepted: use 1 to {SessionIds.MaxLength} characters from letters, digits and . _ : -");
            }
        });
        Gateway.Validators.Add(result =>
        {
            if (Split(result.GetValueOrDefault<string>()).Length == 0)
            {
                result.AddError("--gateway is empty: pass HOST:PORT, or several as HOST:PORT,HOST:PORT.");
            }
        });
        Postgres.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("--postgres is empty: pass a connection string such as 'Host=db;Username=agentsnapshots;Password=...;Database=agentsnapshots'.");
            }
        });
    }

    public IEnumerable<Option> All => [Session, Json, Gateway, Postgres, Verbose];

    /// <summary>The settings of one run, read from a parse that had no errors.</summary>
    public Invocation Read(ParseResult parse)
    {
        var postgres = parse.GetValue(Postgres);
        return new Invocation(
            parse.GetRequiredValue(Session),
            parse.GetValue(Json),
            postgres is null ? Split(parse.GetRequiredValue(Gateway)) : [],
            postgres,
            parse.GetValue(Verbose));
    }

    /// <summary>Refuses a verb given both ways of reaching the cluster (only one is meant).</summary>
    public void RefuseBothConnections(Command verb)
    {
        verb.Validators.Add(result =>
        {
            if (result.GetResult(Gateway) is { Implicit: false } && result.GetResult(Postgres) is not null)
            {
                result.AddError("--gateway and --postgres both given: reach the cluster through one of them.");
            }
        });
    }

    private static string[] Split(string? gateways) =>
        gateways?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}

