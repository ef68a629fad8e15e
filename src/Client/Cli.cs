using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Client;

/// <summary>The command-line front end of the SDK. Exit codes: 0 success, 2 bad input, 1 any other failure.</summary>
internal static class Cli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    private const string Name = "agentsnapshots";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        CliArguments? cli;
        IPEndPoint[] gateways;
        try
        {
            cli = CliArguments.Parse(args);
            if (cli is null)
            {
                await stdout.WriteLineAsync(CliArguments.Usage);
                return Success;
            }
            if (!SessionIds.IsValidSessionId(cli.Session))
            {
                throw new UsageException($"--session '{cli.Session}' is not accepted: use 1 to {SessionIds.MaxLength} characters from letters, digits and . _ : -");
            }
            gateways = cli.Postgres is null ? [.. cli.Gateways.Select(ClientServiceCollectionExtensions.ParseGateway)] : [];
            if (cli.Postgres is null && gateways.Length == 0)
            {
                throw new UsageException("--gateway is empty: pass HOST:PORT, or several as HOST:PORT,HOST:PORT.");
            }
        }
        catch (Exception e) when (e is UsageException or FormatException)
        {
            await stderr.WriteLineAsync($"{Name}: {e.Message}");
            return BadInput;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The connection attempts' own warnings would bury the one line that says what to do.
        builder.Logging.AddFilter("Orleans.Messaging", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.OutsideRuntimeClient", LogLevel.Error);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.AddAgentSnapshotsClient(o =>
        {
            foreach (var gateway in gateways)
            {
                o.Gateways.Add(gateway.ToString());
            }
            o.PostgresConnectionString = cli.Postgres;
            o.ConnectRetryTime = TimeSpan.FromSeconds(cli.Postgres is null ? 2 : 10);
        });

        using var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync(cli.Postgres is null
                ? $"{Name}: cannot reach the AgentSnapshots silo at gateway {string.Join(",", gateways.Select(g => g.ToString()))} ({FirstLine(e)}); start it with 'dotnet run --project src/Silo', or pass --gateway HOST:PORT."
                : $"{Name}: cannot reach an AgentSnapshots silo through the PostgreSQL membership table ({FirstLine(e)}); check --postgres and that a silo with the same ConnectionStrings:Postgres is running.");
            return Failure;
        }

        try
        {
            var client = host.Services.GetRequiredService<AgentSnapshotsClient>();
            using var progress = Progress.Start(stderr, ProgressText(cli), enabled: !cli.Json && !Console.IsErrorRedirected);
            var (result, text) = await Execute(client, cli);
            progress.Dispose();
            await stdout.WriteAsync(cli.Json ? CliOutput.ToJson(result) + Environment.NewLine : text);
            return Success;
        }
        catch (SnapshotRequestException e)
        {
            await stderr.WriteLineAsync($"{Name}: {e.Message}");
            return BadInput;
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync($"{Name}: {cli.Verb} failed: {e.GetType().Name}: {FirstLine(e)}");
            return Failure;
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

    private static async Task<(object Result, string Text)> Execute(AgentSnapshotsClient client, CliArguments cli)
    {
        switch (cli.Verb)
        {
            case "track":
                var track = await client.Track(cli.Session, cli.Dir, cli.Label);
                return (track, CliOutput.Track(track, cli.Label));
            case "changes":
                var changes = await client.Changes(cli.Session, cli.Since!);
                return (changes, CliOutput.Changes(changes));
            case "diff":
                var diff = await client.Diff(cli.Session, cli.From!, cli.To);
                return (diff, CliOutput.Diff(diff));
            case "restore":
                var restore = await client.Restore(cli.Session, cli.To!);
                return (restore, CliOutput.Restore(restore, "restored"));
            case "revert":
                var revert = await client.Revert(cli.Session, cli.To!, cli.Files);
                return (revert, CliOutput.Restore(revert, "reverted"));
            case "history":
                var history = await client.History(cli.Session);
                return (history, CliOutput.History(history));
            case "usage":
                var usage = await client.Usage(cli.Session);
                return (usage, CliOutput.Usage(usage));
            case "gc":
                var collected = await client.Collect(cli.Session);
                return (collected, CliOutput.Collected(collected));
            case "delete":
                var deleted = await client.Delete(cli.Session);
                return (deleted, CliOutput.Deleted(deleted));
            default:
                throw new UsageException($"unknown verb '{cli.Verb}'.");
        }
    }

    private static string ProgressText(CliArguments cli) => cli.Verb switch
    {
        "track" => "snapshotting",
        "changes" => "comparing with the workspace",
        "diff" => cli.To is null ? "snapshotting and summarizing" : "summarizing",
        "restore" or "revert" => "restoring",
        "usage" => "measuring the store",
        "gc" => "collecting",
        _ => "working",
    };

    private static string FirstLine(Exception e)
    {
        var message = e.Message;
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }

    /// <summary>A progress line on a terminal for work that takes more than a moment; erased when done.</summary>
    private sealed class Progress : IDisposable
    {
        private readonly TextWriter _writer;
        private readonly string _text;
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private readonly Timer? _timer;
        private bool _shown;
        private bool _disposed;

        private Progress(TextWriter writer, string text, bool enabled)
        {
            _writer = writer;
            _text = text;
            if (enabled)
            {
                _timer = new Timer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            }
        }

        public static Progress Start(TextWriter writer, string text, bool enabled) => new(writer, text, enabled);

        private void Tick()
        {
            lock (_writer)
            {
                if (_disposed)
                {
                    return;
                }
                _shown = true;
                _writer.Write($"\r{_text}... {_watch.Elapsed.TotalSeconds:0}s ");
                _writer.Flush();
            }
        }

        public void Dispose()
        {
            _timer?.Dispose();
            lock (_writer)
            {
                if (!_disposed && _shown)
                {
                    _writer.Write("\r" + new string(' ', _text.Length + 16) + "\r");
                    _writer.Flush();
                }
                _disposed = true;
            }
        }
    }
}
