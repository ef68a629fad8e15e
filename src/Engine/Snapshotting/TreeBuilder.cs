using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Watching;
using AgentSnapshots.Engine.WorkingTree;

namespace AgentSnapshots.Engine.Snapshotting;

/// <summary>What changed in a working tree's state, for the index to record: directories whose entries changed, directories whose tree alone changed, and directories that are gone.</summary>
internal sealed class StateChanges
{
    public List<DirectoryState> Rewritten { get; } = [];

    public List<DirectoryState> Retreed { get; } = [];

    public List<string> Removed { get; } = [];

    public bool IsEmpty => Rewritten.Count == 0 && Retreed.Count == 0 && Removed.Count == 0;
}

/// <summary>
/// Writes the trees of a working tree's state bottom-up, only along changed paths: a directory whose entries and
/// subtrees are as before keeps its previous tree id without hashing anything. Also counts files and notes what the
/// index must record.
/// </summary>
/// <param name="rewriteAll">Objects were collected since the previous state: write every tree again (a reused id might be gone).</param>
internal sealed class TreeBuilder(ObjectStore store, WorkspaceWatch? watch, bool rewriteAll)
{
    public StateChanges Changes { get; } = new();

    /// <summary>
    /// Finishes a subtree a <see cref="TreeWalk"/> built: drops directories that vanished during the walk, writes
    /// the trees that changed against each node's <see cref="DirectoryState.Previous"/>, and detaches the previous
    /// nodes (releasing watches no new node took over).
    /// </summary>
    public void FinishWalked(DirectoryState node)
    {
        node.Directories.RemoveAll(static d => d.Gone);
        foreach (var child in node.Directories) FinishWalked(child);
        var previous = node.Previous;
        node.Previous = null;

        var sameFiles = previous is not null && SameEntries(node.Files, previous.Files);
        var sameRecord = sameFiles && DirectoryState.SameFiles(node.Files, previous!.Files);
        var sameNames = previous is not null && SameDirectoryNames(node.Directories, previous.Directories);
        var sameTrees = sameNames && node.Directories.Select(d => d.Tree).SequenceEqual(previous!.Directories.Select(d => d.Tree));
        node.Tree = !rewriteAll && sameFiles && sameTrees ? previous!.Tree : Write(node);
        node.FileCount = Count(node);

        if (previous is null || !sameRecord || !sameNames)
        {
            Changes.Rewritten.Add(node);
        }
        else if (node.Tree != previous.Tree)
        {
            Changes.Retreed.Add(node);
        }
        if (previous is not null)
        {
            foreach (var old in previous.Directories)
            {
                if (node.FindDirectory(old.Name) >= 0) continue; // replaced by a new node, which detaches it
                Changes.Removed.Add(old.Path);
                Detach(old);
            }
            Detach(previous, keepChildren: true);
        }
    }

    /// <summary>
    /// Writes the trees of directories changed in place and of their ancestors, deepest first:
    /// <paramref name="rewritten"/> had entries added, removed or changed; <paramref name="touched"/> had a
    /// subdirectory replaced by a walked one.
    /// </summary>
    public void Rebuild(IReadOnlySet<DirectoryState> rewritten, IReadOnlySet<DirectoryState> touched)
    {
        var affected = new HashSet<DirectoryState>();
        foreach (var node in rewritten.Concat(touched))
        {
            for (var n = node; n is not null && affected.Add(n); n = n.Parent)
            {
            }
        }
        foreach (var node in affected.Where(n => !n.Detached).OrderByDescending(n => n.Depth))
        {
            var before = node.Tree;
            node.Tree = Write(node);
            node.FileCount = Count(node);
            if (rewritten.Contains(node)) Changes.Rewritten.Add(node);
            else if (node.Tree != before) Changes.Retreed.Add(node);
        }
    }

    /// <summary>Cuts <paramref name="old"/> (and, unless its children live on in a new node, its subtree) out of the state: queued events for it are stale, and watches it still owns are released.</summary>
    public void Detach(DirectoryState old, bool keepChildren = false)
    {
        foreach (var node in keepChildren ? [old] : old.SelfAndDescendants())
        {
            node.Detached = true;
            if (node.Watch >= 0) watch?.Remove(node);
        }
    }

    private GitObjectId? Write(DirectoryState node)
    {
        var entries = node.TreeEntries();
        // Git stores no empty trees; neither do we, so our trees hash like git's.
        return entries.Count == 0 ? null : store.WriteTree(entries);
    }

    private static int Count(DirectoryState node)
    {
        var count = node.Files.Count;
        foreach (var dir in node.Directories) count += dir.FileCount;
        return count;
    }

    private static bool SameEntries(List<FileState> now, List<FileState> before)
    {
        if (ReferenceEquals(now, before)) return true;
        if (now.Count != before.Count) return false;
        for (var i = 0; i < now.Count; i++)
        {
            if (!now[i].SameEntry(before[i])) return false;
        }
        return true;
    }

    private static bool SameDirectoryNames(List<DirectoryState> now, List<DirectoryState> before)
    {
        if (now.Count != before.Count) return false;
        for (var i = 0; i < now.Count; i++)
        {
            if (now[i].Name != before[i].Name) return false;
        }
        return true;
    }
}
