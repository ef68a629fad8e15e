using AgentSnapshots.Engine.WorkingTree;
using AgentSnapshots.Engine.WorkingTree.Reading;

namespace AgentSnapshots.Engine.Watching;

/// <summary>
/// The files of one watched workspace that have more than one hard link. inotify reports a write only under the
/// name the writer used, and nothing at all for a name outside the workspace, so every watched track stats these
/// again as if an event named them (<c>TreeUpdate</c>). A full walk fills it afresh (every file is stat'ed);
/// a track adds what it stats with several links and drops what it finds with one, gone, or cut out of the tree.
/// Empty, it costs a track nothing.
/// </summary>
internal sealed class LinkedFiles
{
    private readonly object _sync = new();
    private readonly HashSet<(DirectoryState Node, string Name)> _entries = [];
    private readonly HashSet<ulong> _newIdentities = [];

    /// <summary>Forgets every entry (before a full walk, which stats every file again).</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _entries.Clear();
            _newIdentities.Clear();
        }
    }

    /// <summary>Records what a stat of <paramref name="name"/> in <paramref name="node"/> showed (a walk's threads call it at once).</summary>
    public void Note(DirectoryState node, string name, in EntryStat stat)
    {
        if (stat.Links <= 1 && _entries.Count == 0) return;
        lock (_sync)
        {
            if (stat.Links <= 1) _entries.Remove((node, name));
            // A name new here may be a link just made to a file the state holds under another name, whose own stat
            // raised no event: the track looks for that file by its identity (TakeNewIdentities).
            else if (_entries.Add((node, name))) _newIdentities.Add(FileStamp.IdentityOf(stat));
        }
    }

    /// <summary>
    /// Records a file seen under a name the snapshot leaves out (ignored): with several links, its other names may be
    /// tracked, so the track looks for them by identity as for a new linked name.
    /// </summary>
    public void NoteUntracked(in EntryStat stat)
    {
        if (stat.Links <= 1) return;
        lock (_sync) _newIdentities.Add(FileStamp.IdentityOf(stat));
    }

    public void Forget(DirectoryState node, string name)
    {
        if (_entries.Count == 0) return;
        lock (_sync) _entries.Remove((node, name));
    }

    public bool Contains(DirectoryState node, string name)
    {
        lock (_sync) return _entries.Contains((node, name));
    }

    /// <summary>The entries now (a copy: stating them changes the set).</summary>
    public List<(DirectoryState Node, string Name)> Entries()
    {
        lock (_sync) return _entries.Count == 0 ? [] : [.. _entries];
    }

    /// <summary>The identities (<see cref="FileStamp.Identity"/>) of files first seen with several links since the last call.</summary>
    public HashSet<ulong>? TakeNewIdentities()
    {
        lock (_sync)
        {
            if (_newIdentities.Count == 0) return null;
            var taken = new HashSet<ulong>(_newIdentities);
            _newIdentities.Clear();
            return taken;
        }
    }
}
