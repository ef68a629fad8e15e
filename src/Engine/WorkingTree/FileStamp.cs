using AgentSnapshots.Engine.WorkingTree.Reading;

namespace AgentSnapshots.Engine.WorkingTree;

/// <summary>
/// The stat facts that tell a file changed since it was read, as git's index keeps them: size, modification and
/// status-change times in nanoseconds, and its <see cref="Identity"/> (inode, device, owner and group). The
/// status-change time (ctime) is the one no user can set: a write, a chmod or chown, a rename, and setting the
/// modification time back (<c>touch -d</c>/<c>-r</c>, <c>tar x</c>, <c>cp -p</c>, <c>rsync -t</c>) all set it to
/// now, so an edit that keeps the size and restores the mtime still shows. A file replaced by another (a rename
/// over it, as editors and <c>git checkout</c> do) shows by its inode. Equal stamps mean an unchanged file only
/// together with the racy rule (<see cref="IsRacy"/>): a change within the same timestamp tick as the stat keeps
/// every time equal.
/// </summary>
/// <remarks>
/// The portable reader sees no ctime, inode or owner (.NET does not expose them): it fills in what it can (see
/// <see cref="PortableDirectory"/>), and the fields it cannot see are 0 on both sides, so they compare equal.
/// </remarks>
internal readonly record struct FileStamp(long Size, long MtimeNs, long CtimeNs, ulong Identity)
{
    public static FileStamp Of(in EntryStat stat) => new(stat.Size, stat.MtimeNs, stat.CtimeNs, IdentityOf(stat));

    /// <summary>Whether <paramref name="stat"/> shows the same file as this stamp, by every fact compared (no allocation: a walk asks for every file).</summary>
    public bool Matches(in EntryStat stat) =>
        Size == stat.Size && MtimeNs == stat.MtimeNs && CtimeNs == stat.CtimeNs && Identity == IdentityOf(stat);

    /// <summary>
    /// Whether a change could follow the stat and leave this stamp as it is: either time at or after
    /// <paramref name="racyAfterNs"/> (the walk's start less the coarsest timestamp tick). Such an entry is read
    /// again by the next walk, whatever its stat then.
    /// </summary>
    public bool IsRacy(long racyAfterNs) => MtimeNs >= racyAfterNs || CtimeNs >= racyAfterNs;

    /// <summary>
    /// The inode, XORed with a mix of device, owner and group: 8 bytes per file rather than 24. A change of inode
    /// alone (a file replaced: device, owner and group are the same for most of a workspace) always changes it; a
    /// change of the others changes it but for a 2^-64 chance, and even then size and both times must match too.
    /// Stable across processes (it is persisted in the <c>SnapshotIndex</c>).
    /// </summary>
    public static ulong IdentityOf(in EntryStat stat)
    {
        var mixed = (stat.Device * 0x9E3779B97F4A7C15UL) ^ (((ulong)stat.Uid << 32) | stat.Gid);
        // splitmix64's finaliser: every input bit reaches every output bit.
        mixed ^= mixed >> 30;
        mixed *= 0xBF58476D1CE4E5B9UL;
        mixed ^= mixed >> 27;
        mixed *= 0x94D049BB133111EBUL;
        mixed ^= mixed >> 31;
        return stat.Inode ^ mixed;
    }
}
