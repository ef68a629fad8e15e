using System.CommandLine;

namespace AgentSnapshots.Cli;

/// <summary>The options every verb takes: which session, how to print, which silo to call and with which key.</summary>
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

    public Option<string> Server { get; } = new("--server")
    {
        Description = $"the silo's HTTP API; several, comma-separated: the next is tried when one does not answer; when not given, ${ServerAddresses.Variable}, else {ServerAddresses.Default}",
        HelpName = "URL[,URL...]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ServerAddresses.Variable) is { Length: > 0 } fromEnvironment ? fromEnvironment : ServerAddresses.Default,
    };

    public Option<string> KeyFile { get; } = new("--key-file")
    {
        Description = $"the file holding the silo's key; when not given, ${ApiKey.Variable}, else the silo's local key file ({ApiKey.LocalKeyFile}), which is sent only to a silo on this machine",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "also print each HTTP request, its status and time, and where the key came from, on stderr",
        Recursive = true,
    };

    /// <summary>The options of the Orleans client the CLI no longer is: given, they say what to use instead.</summary>
    private readonly Option<string>[] _gone =
    [
        new("--gateway") { Hidden = true, Recursive = true },
        new("--postgres") { Hidden = true, Recursive = true },
    ];

    public GlobalOptions()
    {
        Session.Validators.Add(result =>
        {
            var id = result.GetValueOrDefault<string>();
            if (!SessionName.TryParse(id, out _))
            {
                var from = result.Implicit ? $" (from ${SessionVariable})" : "";
                result.AddError($"--session '{id}'{from} is not accepted: use {SessionName.Form}");
            }
        });
        Server.Validators.Add(result =>
        {
            if (!ServerAddresses.TryParse(result.GetValueOrDefault<string>(), out _, out var problem))
            {
                result.AddError($"--server{(result.Implicit ? $" (from ${ServerAddresses.Variable})" : "")} {problem}.");
            }
        });
        KeyFile.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("--key-file is empty: pass the file holding the silo's key.");
            }
        });
        foreach (var gone in _gone)
        {
            gone.Validators.Add(result => result.AddError(
                $"{gone.Name} is gone: the CLI calls the silo's HTTP API now; pass --server http://HOST:PORT (the silo's Http:Port, default {ServerAddresses.Default}), several comma-separated for a cluster."));
        }
    }

    public IEnumerable<Option> All => [Session, Json, Server, KeyFile, Verbose, .. _gone];

    /// <summary>The settings of one run, read from a parse that had no errors.</summary>
    public Invocation Read(ParseResult parse)
    {
        if (!ServerAddresses.TryParse(parse.GetRequiredValue(Server), out var servers, out var problem))
        {
            throw new InvalidOperationException("--server was not checked: " + problem);
        }
        return new Invocation(parse.GetRequiredValue(Session), parse.GetValue(Json), servers, parse.GetValue(KeyFile), parse.GetValue(Verbose));
    }
}
