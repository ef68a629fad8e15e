namespace AgentSnapshots.Engine.Watching;

/// <summary>inotify(7) event bits: those a watch asks for, and those the kernel adds.</summary>
[Flags]
internal enum InotifyMask : uint
{
    None = 0,
    Modify = 0x2,
    Attrib = 0x4,
    CloseWrite = 0x8,
    MovedFrom = 0x40,
    MovedTo = 0x80,
    Create = 0x100,
    Delete = 0x200,
    DeleteSelf = 0x400,
    MoveSelf = 0x800,
    Unmount = 0x2000,
    QueueOverflow = 0x4000,
    Ignored = 0x8000,
    OnlyDirectory = 0x01000000,
    ExcludeUnlinked = 0x04000000,
    IsDirectory = 0x40000000,

    /// <summary>What a workspace directory's watch asks for: every change to a name in it, and its own removal.</summary>
    Watched = Modify | Attrib | CloseWrite | MovedFrom | MovedTo | Create | Delete | DeleteSelf | MoveSelf | OnlyDirectory | ExcludeUnlinked,

    /// <summary>Events that mean a file's content may have changed whatever its stat says.</summary>
    Content = Modify | CloseWrite | Create | MovedTo,

    /// <summary>Events on a watched directory itself that mean it is no longer where its node says.</summary>
    SelfGone = DeleteSelf | MoveSelf | Ignored | Unmount,
}
