namespace AgentSnapshots;

/// <summary>
/// How long a call may take. Snapshots, restores and diffs of big trees take minutes, so those operations carry
/// <see cref="LongOperation"/> (<c>[ResponseTimeout]</c>): they keep it even in a client whose own messaging timeout
/// is shorter. The silo and the SDK set the same 15 minutes as their messaging default, so no call is cut off before
/// its operation ends; a client that stops waiting cancels its wait, not the operation.
/// </summary>
public static class SessionTimeouts
{
    /// <summary>The long operations' timeout, as <c>[ResponseTimeout]</c> takes it.</summary>
    public const string LongOperation = "00:15:00";
}
