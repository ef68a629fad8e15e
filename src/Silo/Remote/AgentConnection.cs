using System.Net.WebSockets;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Remote;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo.Remote;

/// <summary>
/// One workspace agent's WebSocket on this silo, as the grain observer the workspace's grain calls
/// (<see cref="IWorkspaceAgentLink"/>). Commands run one at a time. Objects the agent sends are verified and written
/// into the store the grain names (under this silo's <c>Snapshots:DataDir</c>); the tree is acknowledged only once
/// everything it names is stored. A protocol violation closes the connection (the agent reconnects) and fails the
/// command with <see cref="ServiceError.AgentFailed"/>: nothing is recorded.
/// </summary>
internal sealed partial class AgentConnection(FrameConnection connection, string workspace, string workspacesDirectory, WorkspaceStores stores, ILogger logger) : IWorkspaceAgentLink, IDisposable
{
    private readonly SemaphoreSlim _commands = new(1, 1);

    public Guid Id { get; } = Guid.NewGuid();

    public FrameConnection Frames => connection;

    /// <summary>Objects and bytes received from the agent since it connected (logged per transfer).</summary>
    public long ReceivedBytes { get; private set; }

    public Task<AgentResult> TrackAsync(string storeDirectory, CancellationToken cancellationToken) =>
        RunAsync(storeDirectory, "track", async store =>
        {
            await connection.SendJsonAsync(FrameKind.Command, new AgentCommand("track", StoreMarker: RemoteStore.Marker(store), EarlyBlobs: true), RemoteJson.Default.AgentCommand, cancellationToken);
            return await ReceiveTreeAsync(store, cancellationToken);
        }, cancellationToken);

    public Task<AgentResult> RestoreAsync(string storeDirectory, string to, IReadOnlyList<string>? files, string safety, CancellationToken cancellationToken) =>
        RunAsync(storeDirectory, "restore", async store =>
        {
            var toId = GitObjectId.Parse(to);
            var safetyId = GitObjectId.Parse(safety);
            await connection.SendJsonAsync(FrameKind.Command, new AgentCommand("restore", to, files, safety, RemoteStore.Marker(store)), RemoteJson.Default.AgentCommand, cancellationToken);
            var offer = TreeDelta.Objects(store, toId, safetyId, cancellationToken);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var sent = await ObjectSender.SendAsync(connection, store, offer, cancellationToken);
            LogSent(logger, workspace, toId, sent.Offered, sent.Objects, sent.Bytes, (long)clock.Elapsed.TotalMilliseconds);
            return await ReceiveTreeAsync(store, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>) for the command in progress to end: once the socket is gone it fails
    /// at its next read, and it must not find the connection disposed under it.
    /// </summary>
    public async Task WaitIdleAsync(TimeSpan timeout)
    {
        if (await _commands.WaitAsync(timeout)) _commands.Release();
    }

    public void Dispose() => _commands.Dispose();

    public Task ReplacedAsync()
    {
        LogReplaced(logger, workspace, Id);
        return connection.CloseAsync((WebSocketCloseStatus)4000, "replaced: another agent serves this workspace now");
    }

    /// <summary>Receives the objects of a tree, then the agent's reply; acknowledges the tree once it is stored.</summary>
    private async Task<AgentResult> ReceiveTreeAsync(ObjectStore store, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Rounds: the large blobs the agent's snapshot has written as they come (see EarlyBlobs), the tree's objects last.
        var (received, next) = await ObjectReceiver.ReceiveRoundsAsync(connection, store, requireEntries: true, cancellationToken);
        ReceivedBytes += received.Bytes;
        AgentReply reply;
        using (next)
        {
            if (next.Kind != FrameKind.Done) throw FrameConnection.Unexpected(next, nameof(FrameKind.Done));
            reply = FrameConnection.ReadJson(next, RemoteJson.Default.AgentReply);
        }
        if (!GitObjectId.TryParse(reply.Tree, out var tree) || !RemoteStore.HasTree(store, tree))
        {
            throw new RemoteProtocolException($"the agent reported tree {MessageText.Shown(reply.Tree)}, which it never sent");
        }
        await connection.SendJsonAsync(FrameKind.Stored, new StoredAck(reply.Tree), RemoteJson.Default.StoredAck, cancellationToken);
        LogReceived(logger, workspace, tree, received.Offered, received.Objects, received.Bytes, (long)clock.Elapsed.TotalMilliseconds, ReceivedBytes);
        return new AgentResult(reply.Tree, reply.Files, reply.SkippedCount, [.. reply.Skipped.Select(s => new AgentSkippedPath(s.Path, (int)s.Cause))],
            reply.Written ?? [], reply.Deleted ?? [], reply.WrittenCount, reply.DeletedCount, reply.SentObjects, reply.SentBytes);
    }

    private async Task<AgentResult> RunAsync(string storeDirectory, string verb, Func<ObjectStore, Task<AgentResult>> command, CancellationToken cancellationToken)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspacesDirectory)) + Path.DirectorySeparatorChar;
        if (!Path.GetFullPath(storeDirectory).StartsWith(root, StringComparison.Ordinal))
        {
            throw new SnapshotServiceException(ServiceError.AgentFailed, $"The store {storeDirectory} is not under this silo's workspaces directory ({root}): are the silos' Snapshots:DataDir the same?");
        }
        await _commands.WaitAsync(cancellationToken);
        try
        {
            // Through the silo's cache of a backed store: objects the backend holds are not asked of the agent again.
            var store = stores.Open(storeDirectory);
            return await command(store);
        }
        catch (RemoteProtocolException e) when (e.Reported)
        {
            // The agent said what failed (an engine error: its directory is gone, a restore stopped part way).
            return new AgentResult("", 0, 0, [], [], [], 0, 0, 0, 0, e.Code ?? "AgentFailed", e.Message);
        }
        catch (Exception e) when (e is RemoteProtocolException or OperationCanceledException)
        {
            // Out of step (or cancelled mid-transfer): the connection closes, the agent reconnects and starts afresh.
            var reason = e is OperationCanceledException ? "the request was cancelled" : e.Message;
            LogRefused(logger, workspace, verb, reason);
            await connection.CloseAsync(WebSocketCloseStatus.ProtocolError, reason);
            if (e is OperationCanceledException) throw;
            throw new SnapshotServiceException(ServiceError.AgentFailed,
                $"The agent of workspace '{workspace}' stopped the {verb}: {reason}; nothing was recorded (retry: what was stored is not sent again).");
        }
        finally
        {
            _commands.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace agent {Workspace}: received tree {Tree} ({Offered} offered, {Objects} objects, {Bytes} bytes in {Ms} ms; {Total} bytes on this connection)")]
    private static partial void LogReceived(ILogger logger, string workspace, GitObjectId tree, int offered, int objects, long bytes, long ms, long total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace agent {Workspace}: sent {To} for a restore ({Offered} offered, {Objects} objects, {Bytes} bytes in {Ms} ms)")]
    private static partial void LogSent(ILogger logger, string workspace, GitObjectId to, int offered, int objects, long bytes, long ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace agent {Workspace}: {Verb} refused, connection closed: {Reason}")]
    private static partial void LogRefused(ILogger logger, string workspace, string verb, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace agent {Workspace}: connection {Connection} replaced by a newer one")]
    private static partial void LogReplaced(ILogger logger, string workspace, Guid connection);
}
