using System.Globalization;
using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.Retention;

/// <summary>What a caller is told when it names a snapshot retention dropped.</summary>
public static class RetentionMessages
{
    /// <summary>One line: the argument, that retention removed the snapshot, and which setting did (what to do is the caller's surface's to say).</summary>
    public static string Removed(string argument, string hash, DropReason reason, RetentionOptions retention)
    {
        ArgumentNullException.ThrowIfNull(retention);
        var why = reason switch
        {
            DropReason.Expired => string.Create(CultureInfo.InvariantCulture,
                $"it was older than Snapshots:Retention:KeepYoungerThan ({retention.KeepYoungerThan}) and not among the last Snapshots:Retention:KeepLast ({retention.KeepLast}) snapshots of its session"),
            DropReason.MaxBytes => string.Create(CultureInfo.InvariantCulture,
                $"the workspace's store was over Snapshots:Retention:MaxBytes ({retention.MaxBytes} bytes) and it was among the oldest snapshots"),
            DropReason.MaxSnapshots => string.Create(CultureInfo.InvariantCulture,
                $"the workspace held more than Snapshots:Retention:MaxSnapshots ({retention.MaxSnapshots}) snapshots and it was among the oldest"),
            _ => "every session that recorded it was deleted",
        };
        return $"'{argument}' {hash} was removed by retention: {why}.";
    }
}
