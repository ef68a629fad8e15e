using System.Text.Json;
using AgentSnapshots.Engine;

namespace AgentSnapshots.Tests.Engine.Retention;

/// <summary>The retention rules on their own: what is kept, what is dropped and why, what is never dropped.</summary>
public sealed class RetentionPolicyTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static RetentionEntry Entry(double hoursAgo, params (int Session, long Sequence)[] owners) =>
        new(Now.AddHours(-hoursAgo), false, [.. owners.Select(o => new RetentionOwner(o.Session, o.Sequence))]);

    [Fact]
    public void Keeps_the_last_n_of_each_session_and_the_young_ones_and_drops_the_rest()
    {
        var policy = new RetentionPolicy(keepLast: 2, keepYoungerThan: TimeSpan.FromHours(1), maxSnapshots: 100);
        // Oldest first. Session 0: sequences 1, 2, 3, 5; session 1: 4, 6. Only the last one is young.
        RetentionEntry[] entries =
        [
            Entry(50, (0, 1)),
            Entry(40, (0, 2)),
            Entry(30, (0, 3)),
            Entry(20, (1, 4)),
            Entry(10, (0, 5)),
            Entry(0.5, (1, 6)),
        ];

        var drops = policy.Apply(entries, Now);

        // Session 0 keeps 5 and 3; session 1 keeps 6 and 4.
        Assert.Equal([(0, DropReason.Expired), (1, DropReason.Expired)], drops);
    }

    [Fact]
    public void A_snapshot_shared_by_two_sessions_is_kept_if_either_keeps_it_and_orphans_go()
    {
        var policy = new RetentionPolicy(keepLast: 1, keepYoungerThan: TimeSpan.Zero, maxSnapshots: 100);
        RetentionEntry[] entries =
        [
            Entry(30, (0, 1), (1, 3)), // old for session 0, the latest of session 1
            Entry(20, (0, 2)),
            Entry(10),                 // nobody's any more
        ];

        Assert.Equal([(2, DropReason.SessionDeleted)], policy.Apply(entries, Now));
    }

    [Fact]
    public void Latest_snapshots_and_young_safety_snapshots_are_never_dropped()
    {
        var policy = new RetentionPolicy(keepLast: 1, keepYoungerThan: TimeSpan.FromHours(1), maxSnapshots: 1);
        RetentionEntry[] entries =
        [
            Entry(30, (0, 1)),
            new(Now.AddMinutes(-10), true, [new RetentionOwner(0, 2)]), // a young safety snapshot
            Entry(0.2, (0, 3)),                                          // session 0's latest
            Entry(0.1, (1, 4)),                                          // session 1's latest
        ];

        var drops = policy.Apply(entries, Now);

        // Rule 2 drops the old one; MaxSnapshots (1) cannot drop the protected three.
        Assert.Equal([(0, DropReason.Expired)], drops);
        Assert.Empty(policy.OldestUnprotected(entries.Skip(1).ToList(), Now, 10));
        Assert.Equal([0], policy.OldestUnprotected(entries, Now, 10));
    }

    [Fact]
    public void Max_snapshots_drops_the_oldest_unprotected_first()
    {
        var policy = new RetentionPolicy(keepLast: 100, keepYoungerThan: TimeSpan.FromDays(7), maxSnapshots: 3);
        RetentionEntry[] entries = [.. Enumerable.Range(1, 6).Select(i => Entry(10 - i, (0, i)))];

        Assert.Equal([(0, DropReason.MaxSnapshots), (1, DropReason.MaxSnapshots), (2, DropReason.MaxSnapshots)], policy.Apply(entries, Now));
        Assert.Equal([0, 1], policy.OldestUnprotected(entries, Now, 2));
    }
}
