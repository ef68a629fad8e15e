namespace AgentSnapshots.Engine.Retention;

/// <summary>One session's recording of a snapshot: the session's slot and a workspace-wide sequence number (higher is later).</summary>
public readonly record struct RetentionOwner(int Session, long Sequence);

/// <summary>A snapshot as retention sees it: when it was last recorded, whether it is a restore's safety snapshot, who recorded it.</summary>
public sealed record RetentionEntry(DateTimeOffset Time, bool Safety, IReadOnlyList<RetentionOwner> Owners);

/// <summary>
/// Decides which snapshots of one workspace to keep. Entries are given oldest first (by last recording).
/// <list type="number">
/// <item>A snapshot no session owns any more is dropped (<see cref="DropReason.SessionDeleted"/>).</item>
/// <item>A snapshot is kept if it is among the last <c>keepLast</c> distinct snapshots of any of its sessions, or was
/// recorded less than <c>keepYoungerThan</c> ago; otherwise it is dropped (<see cref="DropReason.Expired"/>).</item>
/// <item>Beyond <c>maxSnapshots</c> kept, the oldest unprotected ones are dropped (<see cref="DropReason.MaxSnapshots"/>);
/// <see cref="OldestUnprotected"/> picks the victims for <c>MaxBytes</c> the same way.</item>
/// </list>
/// Protected, never dropped by any rule but session deletion: the latest snapshot of every session, and safety snapshots
/// younger than <c>keepYoungerThan</c>.
/// </summary>
public sealed class RetentionPolicy(int keepLast, TimeSpan keepYoungerThan, int maxSnapshots)
{
    public int KeepLast { get; } = Math.Max(1, keepLast);

    public TimeSpan KeepYoungerThan { get; } = keepYoungerThan < TimeSpan.Zero ? TimeSpan.Zero : keepYoungerThan;

    public int MaxSnapshots { get; } = Math.Max(1, maxSnapshots);

    /// <summary>The entries to drop now (index into <paramref name="entries"/>, reason), by the count, age and snapshot-count rules.</summary>
    public IReadOnlyList<(int Index, DropReason Reason)> Apply(IReadOnlyList<RetentionEntry> entries, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var (recent, isProtected) = Rank(entries, now);
        var drops = new List<(int, DropReason)>();
        var dropped = new bool[entries.Count];
        var kept = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Owners.Count == 0)
            {
                drops.Add((i, DropReason.SessionDeleted));
                dropped[i] = true;
            }
            else if (!recent[i] && now - entries[i].Time >= KeepYoungerThan && !isProtected[i])
            {
                drops.Add((i, DropReason.Expired));
                dropped[i] = true;
            }
            else
            {
                kept++;
            }
        }
        for (var i = 0; i < entries.Count && kept > MaxSnapshots; i++)
        {
            if (!dropped[i] && !isProtected[i])
            {
                drops.Add((i, DropReason.MaxSnapshots));
                dropped[i] = true;
                kept--;
            }
        }
        drops.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return drops;
    }

    /// <summary>Up to <paramref name="count"/> indexes of the oldest entries that are not protected, oldest first.</summary>
    public IReadOnlyList<int> OldestUnprotected(IReadOnlyList<RetentionEntry> entries, DateTimeOffset now, int count)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var (_, isProtected) = Rank(entries, now);
        var victims = new List<int>();
        for (var i = 0; i < entries.Count && victims.Count < count; i++)
        {
            if (!isProtected[i] && entries[i].Owners.Count > 0)
            {
                victims.Add(i);
            }
        }
        return victims;
    }

    /// <summary>Whether each entry is among the last KeepLast of one of its sessions, and whether it is protected.</summary>
    private (bool[] Recent, bool[] Protected) Rank(IReadOnlyList<RetentionEntry> entries, DateTimeOffset now)
    {
        var recent = new bool[entries.Count];
        var isProtected = new bool[entries.Count];
        var bySession = new Dictionary<int, List<(long Sequence, int Index)>>();
        for (var i = 0; i < entries.Count; i++)
        {
            foreach (var owner in entries[i].Owners)
            {
                if (!bySession.TryGetValue(owner.Session, out var list))
                {
                    bySession[owner.Session] = list = [];
                }
                list.Add((owner.Sequence, i));
            }
            if (entries[i].Safety && now - entries[i].Time < KeepYoungerThan)
            {
                isProtected[i] = true;
            }
        }
        foreach (var list in bySession.Values)
        {
            list.Sort((a, b) => b.Sequence.CompareTo(a.Sequence));
            isProtected[list[0].Index] = true;
            for (var k = 0; k < list.Count && k < KeepLast; k++)
            {
                recent[list[k].Index] = true;
            }
        }
        return (recent, isProtected);
    }
}
