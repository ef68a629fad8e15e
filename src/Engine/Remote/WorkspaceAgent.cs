using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.Watching;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// The engine side of a workspace agent: serves a silo's commands over one connection at a time. Tracks with the
/// engine (stat index, file watcher) into a local store that keeps trees and the index but not blobs once the silo
/// holds them (so the sandbox does not grow a second copy of the workspace), sends the silo only what it lacks
/// (relative to the last tree it acknowledged), and restores through the engine's confined writer after receiving
/// what the directory lacks. One command at a time; not thread-safe otherwise.
/// </summary>
public sealed partial class WorkspaceAgent : IDisposable
{
    private readonly Workspace _workspace;
    private readonly ILogger _logger;
    private GitObjectId? _acknowledged;
    private string? _storeMarker;

    /// <summary>The objects of the last push: their blobs are deleted locally once the silo acknowledges the tree.</summary>
    private List<DeltaObject>? _pendingPrune;

    public WorkspaceAgent(string directory, SnapshotsOptions options, ILogger logger, WatchRegistry? watches)
    {
        _logger = logger;
        _workspace = Workspace.Open(directory, options, logger, watches);
    }

    public string Directory => _workspace.Directory;

    /// <summary>Objects and loose-object bytes sent to silos since the agent started (what the kill tests count).</summary>
    public long SentObjects { get; private set; }

    public long SentBytes { get; private set; }

    /// <summary>Serves commands until the connection ends; a connection that breaks mid-command records nothing.</summary>
    public async Task ServeAsync(FrameConnection connection, CancellationToken cancellationToken)
    {
        // A new connection may reach another silo, or one that collected since: what it holds is asked again in full.
        _acknowledged = null;
        while (true)
        {
            AgentCommand command;
            using (var frame = await connection.ReceiveAsync(FrameKind.Command, cancellationToken))
            {
                command = FrameConnection.ReadJson(frame, RemoteJson.Default.AgentCommand);
            }
            if (command.StoreMarker != _storeMarker)
            {
                _storeMarker = command.StoreMarker;
                _acknowledged = null;
            }
            try
            {
                switch (command.Verb)
                {
                    case "track":
                    case "snapshot":
                        await TrackAsync(connection, command.EarlyBlobs, cancellationToken);
                        break;
                    case "restore":
                        await RestoreAsync(connection, command, cancellationToken);
                        break;
                    default:
                        await connection.SendJsonAsync(FrameKind.Failed, new AgentFailure($"this agent does not know the command '{MessageText.Shown(command.Verb)}': update it"), RemoteJson.Default.AgentFailure, cancellationToken);
                        break;
                }
            }
            catch (EngineException e)
            {
                // Before or after a transfer (a missing directory, a restore stopped part way): the silo is told and
                // the connection stays in step.
                LogFailed(_logger, command.Verb, e.Error.ToString(), e.Message);
                await connection.SendJsonAsync(FrameKind.Failed, new AgentFailure(e.Message, e.Error.ToString()), RemoteJson.Default.AgentFailure, cancellationToken);
            }
        }
    }

    /// <param name="early">Whether the silo takes rounds: large blobs are then sent while the snapshot is taken.</param>
    private async Task TrackAsync(FrameConnection connection, bool early, CancellationToken cancellationToken)
    {
        SnapshotTaken taken;
        var sentEarly = default(TransferCount);
        List<DeltaObject> offeredEarly = [];
        if (early)
        {
            (taken, sentEarly, offeredEarly) = await OverlappedSnapshot.TakeAsync(_workspace, connection, cancellationToken);
        }
        else
        {
            taken = _workspace.Snapshot(cancellationToken);
        }
        var count = await PushAsync(connection, taken.Tree, cancellationToken, sentEarly, offeredEarly);
        await connection.SendJsonAsync(FrameKind.Done, Reply(taken, count), RemoteJson.Default.AgentReply, cancellationToken);
        await AwaitStoredAsync(connection, taken.Tree, cancellationToken);
    }

    private async Task RestoreAsync(FrameConnection connection, AgentCommand command, CancellationToken cancellationToken)
    {
        var to = WorkspaceIdentity.ParseHash(command.To, "to");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TransferCount received;
        RestoreOutcome outcome;
        TimeSpan receiving;
        int packed;
        // Small blobs arrive into memory (beyond a bound, packs), gone once the files are written or the restore failed
        // (the silo keeps them).
        using (var blobs = new ReceivedBlobs(_workspace.Store))
        {
            received = await ObjectReceiver.ReceiveAsync(connection, _workspace.Store, requireEntries: false, blobs, cancellationToken);
            receiving = clock.Elapsed;
            outcome = _workspace.Restore(to, command.Files, blobs.Open, cancellationToken);
            packed = blobs.Count;
        }
        var writing = clock.Elapsed - receiving;
        if (command.Safety is { } safety && GitObjectId.TryParse(safety, out var safetyId))
        {
            // The blobs received are in the directory now and in the silo's store: the local copies go.
            Prune(TreeDelta.Objects(_workspace.Store, to, safetyId, cancellationToken));
        }
        // The safety snapshot the engine took: the same tree the silo took just before unless the directory changed
        // in between, and then the silo needs it too.
        var count = await PushAsync(connection, outcome.Safety.Tree, cancellationToken);
        var listed = 1000;
        var reply = Reply(outcome.Safety, count) with
        {
            Written = [.. outcome.Written.Take(listed)],
            Deleted = [.. outcome.Deleted.Take(listed)],
            WrittenCount = outcome.Written.Count,
            DeletedCount = outcome.Deleted.Count,
        };
        await connection.SendJsonAsync(FrameKind.Done, reply, RemoteJson.Default.AgentReply, cancellationToken);
        await AwaitStoredAsync(connection, outcome.Safety.Tree, cancellationToken);
        LogRestored(_logger, to, outcome.Written.Count, outcome.Deleted.Count, received.Objects, received.Bytes, packed, (long)receiving.TotalMilliseconds, (long)writing.TotalMilliseconds, (long)clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Sends the objects of <paramref name="tree"/> the silo may lack; <paramref name="sentEarly"/> and <paramref name="offeredEarly"/>: the rounds sent while the snapshot was taken.</summary>
    private async Task<TransferCount> PushAsync(FrameConnection connection, GitObjectId tree, CancellationToken cancellationToken, TransferCount sentEarly = default, List<DeltaObject>? offeredEarly = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var offer = TreeDelta.Objects(_workspace.Store, tree, _acknowledged, cancellationToken);
        var last = await ObjectSender.SendAsync(connection, _workspace.Store, offer, cancellationToken);
        var count = sentEarly + last;
        SentObjects += count.Objects;
        SentBytes += count.Bytes;
        LogSent(_logger, tree, count.Offered, count.Objects, count.Bytes, sentEarly.Objects, (long)clock.Elapsed.TotalMilliseconds, SentObjects, SentBytes);
        // The silo holds every blob offered once it acknowledges the tree: the local copies go (the early ones too,
        // even a blob of a file that changed again before the tree was taken).
        _pendingPrune = offeredEarly is { Count: > 0 } ? [.. offeredEarly, .. offer] : offer;
        return count;
    }

    private async Task AwaitStoredAsync(FrameConnection connection, GitObjectId tree, CancellationToken cancellationToken)
    {
        StoredAck ack;
        using (var frame = await connection.ReceiveAsync(FrameKind.Stored, cancellationToken))
        {
            ack = FrameConnection.ReadJson(frame, RemoteJson.Default.StoredAck);
        }
        if (!string.Equals(ack.Tree, tree.ToHex(), StringComparison.Ordinal))
        {
            throw new RemoteProtocolException($"the silo acknowledged {ack.Tree}, not the tree sent ({tree})");
        }
        _acknowledged = tree;
        Prune(_pendingPrune ?? []);
        _pendingPrune = null;
    }

    /// <summary>Deletes the local copies of the blobs among <paramref name="objects"/> (trees stay: the next track compares with them).</summary>
    private void Prune(List<DeltaObject> objects)
    {
        foreach (var blob in objects)
        {
            if (blob.IsTree) continue;
            try
            {
                File.Delete(_workspace.Store.LoosePath(blob.Id));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static AgentReply Reply(SnapshotTaken taken, TransferCount count) =>
        new(taken.Hash, taken.Files, taken.Skipped.Count, [.. taken.Skipped.Take(1000).Select(s => new AgentSkipped(s.Path, s.Cause))], count.Objects, count.Bytes);

    public void Dispose() => _workspace.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent tree {Tree}: {Offered} objects offered, {Objects} sent ({Bytes} bytes; {Early} of them during the snapshot, the tree's round in {LastMs} ms); {TotalObjects} objects, {TotalBytes} bytes since start")]
    private static partial void LogSent(ILogger logger, GitObjectId tree, int offered, int objects, long bytes, int early, long lastMs, long totalObjects, long totalBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {To}: {Written} written, {Deleted} deleted; {Objects} objects ({Bytes} bytes, {Packed} small blobs of them held) received in {ReceiveMs} ms, written in {WriteMs} ms, {TotalMs} ms in all")]
    private static partial void LogRestored(ILogger logger, GitObjectId to, int written, int deleted, int objects, long bytes, int packed, long receiveMs, long writeMs, long totalMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command {Verb} failed ({Code}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string verb, string code, string reason);
}
