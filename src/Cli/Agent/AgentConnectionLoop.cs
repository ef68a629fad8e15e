using System.Net;
using System.Net.WebSockets;
using AgentSnapshots.Engine.Remote;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Cli.Agent;

/// <summary>
/// Keeps the agent connected: a WebSocket to the first silo that takes it (the key as <c>Authorization: Bearer</c>),
/// served until it ends, then the next silo after a backoff (0.5 s doubling to 30 s, with jitter; reset once a
/// connection is up). A refused key or name ends the agent (exit 2); replaced by a newer agent, it stops (exit 0).
/// </summary>
internal sealed partial class AgentConnectionLoop(WorkspaceAgent agent, string workspace, IReadOnlyList<Uri> servers, ApiKey key, ILogger logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var next = 0;
        LogStarted(logger, workspace, agent.Directory, servers.Count);
        while (!cancellationToken.IsCancellationRequested)
        {
            var server = servers[next % servers.Count];
            next++;
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + key.Value);
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
            socket.Options.CollectHttpResponseDetails = true;
            var address = new UriBuilder(new Uri(server, Frames.AgentPath(workspace))) { Scheme = server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
            try
            {
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connect.CancelAfter(TimeSpan.FromSeconds(10));
                    await socket.ConnectAsync(address, connect.Token);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                if (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest or HttpStatusCode.Forbidden)
                {
                    throw CommandFailure.BadInput($"the silo at {ServerAddresses.Shown(server)} refused the agent ({(int)socket.HttpStatusCode}): check the key from {key.Source} and the workspace name.");
                }
                var wait = Backoff(failures++);
                var reason = socket.HttpStatusCode == 0 ? e.Message : $"HTTP {(int)socket.HttpStatusCode}";
                LogUnreachable(logger, server, reason, wait.TotalSeconds);
                await Task.Delay(wait, cancellationToken);
                continue;
            }
            failures = 0;
            LogConnected(logger, workspace, server);
            await using var frames = new FrameConnection(socket);
            try
            {
                await agent.ServeAsync(frames, cancellationToken);
            }
            catch (RemoteProtocolException e)
            {
                if (frames.CloseReason?.StartsWith("replaced", StringComparison.Ordinal) == true || socket.CloseStatusDescription?.StartsWith("replaced", StringComparison.Ordinal) == true)
                {
                    LogReplaced(logger, workspace);
                    return ExitCodes.Success;
                }
                var wait = Backoff(failures++);
                LogLost(logger, server, e.Message, wait.TotalSeconds);
                await Task.Delay(wait, cancellationToken);
            }
        }
        return ExitCodes.Success;
    }

    private static TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(MaxBackoff.TotalSeconds, 0.5 * Math.Pow(2, Math.Min(failures, 10)));
        return TimeSpan.FromSeconds(seconds * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving workspace {Workspace} from {Directory} through {Servers} silo address(es)")]
    private static partial void LogStarted(ILogger logger, string workspace, string directory, int servers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected: workspace {Workspace} is served through {Server}")]
    private static partial void LogConnected(ILogger logger, string workspace, Uri server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No connection to {Server} ({Reason}); next attempt in {Seconds:F1} s")]
    private static partial void LogUnreachable(ILogger logger, Uri server, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection to {Server} lost ({Reason}); reconnecting in {Seconds:F1} s")]
    private static partial void LogLost(ILogger logger, Uri server, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Another agent now serves workspace {Workspace}: this one stops")]
    private static partial void LogReplaced(ILogger logger, string workspace);
}
