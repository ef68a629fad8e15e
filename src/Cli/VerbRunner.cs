using System.CommandLine;

namespace AgentSnapshots.Cli;

/// <summary>
/// Runs one verb: finds the key, calls the silo's HTTP API with a progress line on a terminal, prints the answer,
/// and maps failures to exit codes and one line on stderr (never a stack trace, never the key).
/// </summary>
internal sealed class VerbRunner(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
{
    /// <summary>A verb's API call: the API, the parsed command line, the session, cancellation.</summary>
    public delegate Task<VerbOutput> Call(SiloApi api, ParseResult parse, string session, CancellationToken cancellationToken);

    /// <summary>The global options as parsed (for a verb that runs on its own, as the workspace agent does).</summary>
    public Invocation Read(ParseResult parse) => globals.Read(parse);

    /// <summary>Where one-line problems and logs go.</summary>
    public TextWriter Stderr => stderr;

    /// <summary>Makes <paramref name="command"/> a verb that runs <paramref name="call"/>, with <paramref name="progress"/> as its progress text.</summary>
    public Command Verb(Command command, Func<ParseResult, string> progress, Call call)
    {
        command.SetAction((parse, ct) => RunAsync(command.Name, progress(parse), call, parse, ct));
        return command;
    }

    private async Task<int> RunAsync(string verb, string progressText, Call call, ParseResult parse, CancellationToken cancellationToken)
    {
        var invocation = globals.Read(parse);
        try
        {
            var key = ApiKey.Find(invocation.KeyFile, invocation.Servers);
            using var api = new SiloApi(invocation.Servers, key, invocation.Verbose ? stderr : null);
            VerbOutput output;
            using (ProgressLine.Start(stderr, progressText, enabled: !invocation.Json && !invocation.Verbose && !Console.IsErrorRedirected))
            {
                output = await call(api, parse, invocation.Session, cancellationToken);
            }
            await stdout.WriteAsync(invocation.Json ? output.Json + Environment.NewLine : output.Text);
            return ExitCodes.Success;
        }
        catch (CommandFailure e) when (e.ExitCode == ExitCodes.BadInput)
        {
            await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (CommandFailure e)
        {
            await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {(e.OfTheOperation ? verb + " failed: " : "")}{e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {verb} cancelled; the silo stops the operation too ('history' shows what the session holds).");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else is still one line: a person or an agent reads stderr, not a stack trace.
            await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {verb} failed: {e.GetType().Name}: {SiloApi.FirstLine(e.Message)}");
            return ExitCodes.Failure;
        }
    }
}
