using Microsoft.Extensions.Logging;

namespace AgentSnapshots;

/// <summary>
/// Tells the tenant's <see cref="ISessionDirectoryGrain"/> when one of its sessions changed: after a session grain's
/// track, restore, revert or delete succeeds, and when a step's stats arrive. A one-way message after the call,
/// so no verb waits for the web UI's bookkeeping.
/// </summary>
public sealed partial class SessionActivityFilter(IGrainFactory grains, ILogger<SessionActivityFilter> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.Invoke();
        var type = context.InterfaceMethod.DeclaringType;
        if (type != typeof(ISessionGrain) && type != typeof(ISessionSteps))
        {
            return;
        }
        var method = context.InterfaceMethod.Name;
        var touched = method is nameof(ISessionGrain.TrackAsync) or nameof(ISessionGrain.RestoreAsync) or nameof(ISessionGrain.RevertAsync) or nameof(ISessionSteps.RecordStepAsync);
        var removed = method is nameof(ISessionGrain.DeleteAsync);
        if (!touched && !removed)
        {
            return;
        }
        var key = context.TargetId.Key.ToString()!;
        if (!SessionIds.IsValidSessionKey(key))
        {
            return;
        }
        try
        {
            var directory = grains.GetGrain<ISessionDirectoryGrain>(SessionDirectory.KeyOf(key));
            var name = SessionIds.NameOf(key);
            await (removed ? directory.RemovedAsync(name) : directory.TouchedAsync(name, DateTimeOffset.UtcNow));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The verb succeeded; only the UI's list and live timeline miss this change.
            LogNotRecorded(logger, key, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {Session}'s change was not recorded for the web UI")]
    private static partial void LogNotRecorded(ILogger logger, string session, Exception exception);
}
