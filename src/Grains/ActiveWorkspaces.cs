using System.Diagnostics;
using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots;

/// <summary>
/// The workspaces active on this silo, at most <c>Snapshots:MaxActiveWorkspaces</c> at once. Every active workspace
/// holds its store's lock file open, so without a bound a silo with many workspaces runs out of file descriptors
/// (EMFILE) and cannot open anything else. An activation beyond the bound asks the least recently used workspaces
/// that are not busy to deactivate (their next call activates them again) and waits for one of them to close.
/// </summary>
public sealed partial class ActiveWorkspaces(IOptions<SnapshotsOptions> options, ILogger<ActiveWorkspaces> logger)
{
    private readonly int _max = options.Value.MaxActiveWorkspaces;
    private readonly Lock _gate = new();
    // Least recently used first: the order in which idle workspaces are asked to deactivate.
    private readonly LinkedList<ActiveWorkspace> _recent = new();
    private TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    /// <summary>The workspaces holding a place now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _recent.Count;
        }
    }

    /// <summary>
    /// Takes a place for workspace <paramref name="key"/> (before it opens its store), waiting up to
    /// <paramref name="wait"/> while the silo is at its bound; <paramref name="deactivate"/> is how this set asks the
    /// workspace to deactivate when another needs its place. Dispose the returned place when the workspace closes.
    /// </summary>
    /// <exception cref="WorkspaceLockedException">Every place stayed busy for the whole wait: retry later.</exception>
    public async Task<ActiveWorkspace> EnterAsync(string key, Action deactivate, TimeSpan wait, CancellationToken cancellationToken)
    {
        var place = new ActiveWorkspace(this, key, deactivate);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            List<ActiveWorkspace> asked;
            Task freed;
            lock (_gate)
            {
                if (_recent.Count < _max)
                {
                    place.Node = _recent.AddLast(place);
                    return place;
                }
                _waiting++;
                asked = AskIdle(_recent.Count + _waiting - _max);
                freed = _freed.Task;
            }
            try
            {
                foreach (var idle in asked)
                {
                    LogDeactivating(logger, idle.Key, _max);
                    idle.Deactivate();
                }
                var left = wait - waited.Elapsed;
                if (left <= TimeSpan.Zero || !await WaitAsync(freed, left, cancellationToken))
                {
                    throw new WorkspaceLockedException(
                        $"This silo has {_max} workspaces active (Snapshots:MaxActiveWorkspaces), all of them busy, so workspace {key} cannot open now: " +
                        "retry in a few seconds; if it persists, raise Snapshots:MaxActiveWorkspaces (and the process's open-file limit) or add silos.");
                }
            }
            finally
            {
                lock (_gate) _waiting--;
            }
        }
    }

    /// <summary>
    /// Marks up to <paramref name="needed"/> places to be given up, least recently used first, skipping busy ones;
    /// places already asked count towards it. Returns the newly asked ones. Called under the gate.
    /// </summary>
    private List<ActiveWorkspace> AskIdle(int needed)
    {
        var asked = new List<ActiveWorkspace>();
        for (var node = _recent.First; node is not null && needed > 0; node = node.Next)
        {
            var place = node.Value;
            if (place.Asked)
            {
                needed--;
            }
            else if (place.Busy == 0)
            {
                place.Asked = true;
                asked.Add(place);
                needed--;
            }
        }
        return asked;
    }

    private static async Task<bool> WaitAsync(Task freed, TimeSpan left, CancellationToken cancellationToken)
    {
        try
        {
            await freed.WaitAsync(left, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    internal void Begin(ActiveWorkspace place)
    {
        lock (_gate) place.Busy++;
    }

    /// <summary>A call ended: the workspace becomes the most recently used.</summary>
    internal void End(ActiveWorkspace place)
    {
        lock (_gate)
        {
            place.Busy--;
            if (place.Node is { } node && !ReferenceEquals(node, _recent.Last))
            {
                _recent.Remove(node);
                _recent.AddLast(node);
            }
        }
    }

    internal void Leave(ActiveWorkspace place)
    {
        TaskCompletionSource freed;
        lock (_gate)
        {
            if (place.Node is not { } node)
            {
                return;
            }
            _recent.Remove(node);
            place.Node = null;
            freed = _freed;
            _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        freed.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {WorkspaceId} asked to deactivate: this silo is at Snapshots:MaxActiveWorkspaces ({Max}) and it was used least recently")]
    private static partial void LogDeactivating(ILogger logger, string workspaceId, int max);
}
