using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Remote;

/// <summary>An object a transfer may send, and whether it is a tree.</summary>
public readonly record struct DeltaObject(GitObjectId Id, bool IsTree);

/// <summary>
/// The objects of a tree that a receiver holding another tree (the base) may lack: every subtree whose id differs
/// from the base's at the same path, and every entry that differs there, children before the tree naming them (so
/// a receiver can check that a tree names only objects it holds). Subtrees equal to the base's are not entered.
/// </summary>
public static class TreeDelta
{
    public static List<DeltaObject> Objects(ObjectStore store, GitObjectId tree, GitObjectId? baseTree, CancellationToken cancellationToken)
    {
        var list = new List<DeltaObject>();
        Visit(store, tree, baseTree, list, [], cancellationToken);
        return list;
    }

    private static void Visit(ObjectStore store, GitObjectId tree, GitObjectId? baseTree, List<DeltaObject> list, HashSet<GitObjectId> seen, CancellationToken ct)
    {
        if (tree == baseTree || !seen.Add(tree)) return;
        ct.ThrowIfCancellationRequested();
        var before = baseTree is { } b ? store.ReadTree(b).ToDictionary(e => e.Name, StringComparer.Ordinal) : [];
        foreach (var entry in store.ReadTree(tree))
        {
            // A submodule's commit is never stored: trees name it, no transfer carries it.
            if (entry.Mode == EntryMode.Gitlink) continue;
            var had = before.TryGetValue(entry.Name, out var old);
            if (entry.IsDirectory)
            {
                Visit(store, entry.Id, had && old.IsDirectory ? old.Id : null, list, seen, ct);
            }
            else if ((!had || old.Id != entry.Id || old.Mode != entry.Mode) && seen.Add(entry.Id))
            {
                list.Add(new DeltaObject(entry.Id, IsTree: false));
            }
        }
        list.Add(new DeltaObject(tree, IsTree: true));
    }
}
