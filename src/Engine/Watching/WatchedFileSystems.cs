namespace AgentSnapshots.Engine.Watching;

/// <summary>
/// File systems whose changes inotify does not see in full: network and cluster file systems (a write made on
/// another machine raises no event here) and user-space ones (FUSE), named by their statfs f_type magic numbers.
/// A workspace on one of them is walked in full on every track.
/// </summary>
internal static class WatchedFileSystems
{
    private static readonly HashSet<long> Unsupported =
    [
        0x6969,             // NFS
        0x517B,             // SMB
        0xFF534D42,         // CIFS
        0xFE534D42,         // SMB2
        0x73757245,         // Coda
        0x5346414F,         // AFS
        0x6B414653,         // kAFS
        0x00C36400,         // Ceph
        0x65735546,         // FUSE (sshfs, s3fs, ...)
        0x01021997,         // 9P (WSL, virtio shares)
        0x01161970,         // GFS2
        0x7461636F,         // OCFS2
        0x0BD00BD0,         // Lustre
        0x47504653,         // GPFS
        0x786F4256,         // vboxsf
        0x61756673,         // AUFS
    ];

    public static bool IsUnsupported(long fileSystemType) => Unsupported.Contains(fileSystemType & 0xFFFFFFFF);
}
