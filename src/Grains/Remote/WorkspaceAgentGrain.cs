using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>The current connection of one remote workspace (see <see cref="IWorkspaceAgentGrain"/>).</summary>
internal sealed partial class WorkspaceAgentGrain(ILogger<WorkspaceAgentGrain> logger) : Grain, IWorkspaceAgentGrain
{
    private IWorkspaceAgentLink? _link;
    private Guid _connection;

    /// <summary>Connections replaced lately: one attaching again (its periodic attach racing the replacement) is refused.</summary>
    private readonly Queue<Guid> _replaced = new();

    public Task<bool> AttachAsync(IWorkspaceAgentLink link, Guid connection)
    {
        if (_replaced.Contains(connection))
        {
            return Task.FromResult(false);
        }
        if (_link is { } old && _connection != connection)
        {
            // The replaced agent closes; it may be on a silo that is gone, so nothing waits for it.
            old.ReplacedAsync().Ignore();
            LogReplaced(logger, _connection, connection);
            _replaced.Enqueue(_connection);
            if (_replaced.Count > 16) _replaced.Dequeue();
        }
        _link = link;
        _connection = connection;
        return Task.FromResult(true);
    }

    public Task DetachAsync(Guid connection)
    {
        if (_connection == connection)
        {
            _link = null;
            _connection = Guid.Empty;
        }
        return Task.CompletedTask;
    }

    public Task<IWorkspaceAgentLink?> CurrentAsync() => Task.FromResult(_link);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace agent connection {Old} replaced by {New}")]
    private static partial void LogReplaced(ILogger logger, Guid old, Guid @new);
}
