using System.CommandLine;
using System.Text.Json;
using AgentSnapshots.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Cli;

/// <summary>
/// Runs one verb: connects the SDK (through a host, so "cannot reach the silo" is told apart from a failed call),
/// calls it with a progress line on a terminal, prints the answer, and maps failures to exit codes and one line on
/// stderr. Orleans' own log is off unless --verbose: its warnings (with stack traces during a failover) are not for
/// the person at the terminal.
/// </summary>
internal sealed class VerbRunner(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
{
    /// <summary>A verb's SDK call: the client, the parsed command line, the session, cancellation.</summary>
    public delegate Task<VerbOutput> Call(IAgentSnapshotsClient client, ParseResult parse, string session, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="command"/> a verb that runs <paramref name="call"/>, with <paramref name="progress"/> as its progress text.</summary>
    public Command Verb(Command command, Func<ParseResult, string> progress, Call call)
    {
        globals.RefuseBothConnections(command);
        command.SetAction((parse, ct) => RunAsync(command.Name, progress(parse), call, parse, ct));
        return command;
    }

    private async Task<int> RunAsync(string verb, string progressText, Call call, ParseResult parse, CancellationToken cancellationToken)
    {
        var invocation = globals.Read(parse);
        using var host = BuildHost(invocation);
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (OptionsValidationException e)
        {
            return await BadInputAsync(e.Failures.First());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await stderr.WriteLineAsync(invocation.Postgres is null
                ? $"{AgentSnapshotsCommand.Name}: cannot reach the AgentSnapshots silo at gateway {string.Join(",", invocation.Gateways)} ({FirstLine(e)}); start it with 'dotnet run --project src/Silo', or pass --gateway HOST:PORT."
                : $"{AgentSnapshotsCommand.Name}: cannot reach an AgentSnapshots silo through the PostgreSQL membership table ({FirstLine(e)}); check --postgres and that a silo with the same ConnectionStrings:Postgres is running.");
            return ExitCodes.Failure;
        }

        try
        {
            var client = host.Services.GetRequiredService<IAgentSnapshotsClient>();
            VerbOutput output;
            using (ProgressLine.Start(stderr, progressText, enabled: !invocation.Json && !Console.IsErrorRedirected))
            {
                output = await call(client, parse, invocation.Session, cancellationToken);
            }
            await stdout.WriteAsync(invocation.Json
                ? JsonSerializer.Serialize(output.Result, output.Result.GetType(), ContractJson.Indented) + Environment.NewLine
                : output.Text);
            return ExitCodes.Success;
        }
        catch (SnapshotRequestException e)
        {
            return await BadInputAsync(FirstLine(e));
        }
        catch (SnapshotServiceException e)
        {
            await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {verb} failed: {FirstLine(e)}{(e.IsRetryable ? " (retry shortly)" : "")}");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {verb} failed: {e.GetType().Name}: {FirstLine(e)}");
            return ExitCodes.Failure;
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await host.StopAsync(stopping.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task<int> BadInputAsync(string message)
    {
        await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name}: {message}");
        return ExitCodes.BadInput;
    }

    private static IHost BuildHost(Invocation invocation)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (invocation.Verbose)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddAgentSnapshotsClient(o =>
        {
            foreach (var gateway in invocation.Gateways)
            {
                o.Gateways.Add(gateway);
            }
            o.PostgresConnectionString = invocation.Postgres;
            // A person is waiting: a silo that is not there is reported within seconds.
            o.ConnectRetryTime = TimeSpan.FromSeconds(invocation.Postgres is null ? 2 : 10);
        });
        return builder.Build();
    }

    private static string FirstLine(Exception e)
    {
        var message = e.Message;
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
