namespace AgentSnapshots;

/// <summary>
/// How long a call may take. Snapshots, restores and diffs of big trees take minutes, so those operations carry
/// <see cref="LongOperation"/> (<c>[ResponseTimeout]</c>); everything else keeps the messaging default (<see cref="Default"/>),
/// so a lost reply to a quick call is noticed in seconds, not minutes.
/// </summary>
public static class SessionTimeouts
{
    /// <summary>The long operations' timeout, as <c>[ResponseTimeout]</c> takes it.</summary>
    public const string LongOperation = "00:15:00";

    /// <summary>Every other call's timeout (client and silo messaging default).</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);
}
