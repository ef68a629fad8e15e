using AgentSnapshots.Engine.Objects;

namespace AgentSnapshots.Engine.Retention;

/// <summary>
/// What a collection keeps, found by walking from the live snapshots (oldest first) and from every ref of the store:
/// the reachable objects in the order they are first reached (a snapshot's new objects after the previous
/// snapshot's), and for each file or directory that changed between consecutive snapshots, its previous version
/// (the natural delta base). Snapshots share most of their subtrees, and a subtree already reached is not walked
/// again, so the walk reads each distinct tree once and otherwise only what changed.
/// </summary>
internal sealed class StoreWalk
{
    private readonly ObjectStore _store;
    private readonly CancellationToken _cancellationToken;

    private StoreWalk(ObjectStore store, CancellationToken cancellationToken)
    {
        _store = store;
        _cancellationToken = cancellationToken;
    }

    public HashSet<GitObjectId> Reachable { get; } = [];

    /// <summary>Reachable objects in the order first reached.</summary>
    public List<GitObjectId> Order { get; } = [];

    /// <summary>A blob or tree to the same path's blob or tree in the snapshot before.</summary>
    public Dictionary<GitObjectId, GitObjectId> Predecessors { get; } = [];

    /// <summary>How many earlier versions an object has along its predecessors (0: the first version).</summary>
    public Dictionary<GitObjectId, int> Generations { get; } = [];

    /// <summary>
    /// The version to store <paramref name="id"/> as a delta against: for generation g, the earlier version of
    /// generation g with its lowest set bit cleared (a skip-delta, as Subversion stores revisions). Chains then stay
    /// about log2(versions) deep instead of one level per version, so reading the newest version of a file that grows
    /// every turn costs a few passes over it, not one per turn; each delta spans a few versions' changes more.
    /// Null for a first version.
    /// </summary>
    public GitObjectId? SkipBase(GitObjectId id)
    {
        if (!Generations.TryGetValue(id, out var generation) || generation == 0) return null;
        var target = generation & (generation - 1);
        var current = id;
        while (Generations.GetValueOrDefault(current) > target)
        {
            if (!Predecessors.TryGetValue(current, out var previous)) return null;
            current = previous;
        }
        return current;
    }

    public static StoreWalk Run(ObjectStore store, IEnumerable<GitObjectId> liveTrees, CancellationToken cancellationToken)
    {
        var walk = new StoreWalk(store, cancellationToken);
        GitObjectId? previous = null;
        foreach (var tree in liveTrees)
        {
            if (walk.Visit(previous, tree)) previous = tree;
        }
        foreach (var (_, id) in GitRefs.All(store.GitDir))
        {
            walk.MarkFromRef(id);
        }
        return walk;
    }

    /// <summary>Walks <paramref name="tree"/>, pairing its entries with <paramref name="old"/>'s; false if the tree is missing.</summary>
    private bool Visit(GitObjectId? old, GitObjectId tree)
    {
        if (Reachable.Contains(tree)) return true;
        _cancellationToken.ThrowIfCancellationRequested();
        var entries = TryReadTree(tree);
        if (entries is null) return false;
        Reach(tree, old);
        var oldEntries = old is { } o && o != tree ? TryReadTree(o) : null;
        Dictionary<string, TreeEntry>? byName = null;
        if (oldEntries is not null)
        {
            byName = new Dictionary<string, TreeEntry>(oldEntries.Count, StringComparer.Ordinal);
            foreach (var e in oldEntries) byName[e.Name] = e;
        }
        foreach (var entry in entries)
        {
            TreeEntry? before = byName is not null && byName.TryGetValue(entry.Name, out var b) && b.IsDirectory == entry.IsDirectory ? b : null;
            if (entry.IsDirectory)
            {
                Visit(before?.Id, entry.Id);
            }
            else if (entry.Mode != EntryMode.Gitlink && !Reachable.Contains(entry.Id))
            {
                // A submodule's commit (gitlink) is not in this store.
                Reach(entry.Id, before is { Mode: not EntryMode.Gitlink } f ? f.Id : null);
            }
        }
        return true;
    }

    private void Reach(GitObjectId id, GitObjectId? predecessor)
    {
        Reachable.Add(id);
        Order.Add(id);
        if (predecessor is { } p && p != id && Generations.TryGetValue(p, out var before))
        {
            Predecessors.Add(id, p);
            Generations.Add(id, before + 1);
        }
        else
        {
            Generations.Add(id, 0);
        }
    }

    /// <summary>Marks what a ref leads to: commits with their trees and parents, tags with their targets.</summary>
    private void MarkFromRef(GitObjectId start)
    {
        var pending = new Stack<GitObjectId>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            var id = pending.Pop();
            if (Reachable.Contains(id)) continue;
            _cancellationToken.ThrowIfCancellationRequested();
            GitObjectType type;
            try
            {
                type = _store.ReadTypeAndSize(id).Type;
            }
            catch (MissingObjectException)
            {
                continue;
            }
            switch (type)
            {
                case GitObjectType.Tree:
                    Visit(null, id);
                    break;
                case GitObjectType.Blob:
                    Reach(id, null);
                    break;
                default:
                    Reach(id, null);
                    var parsed = GitCommit.Parse(_store.ReadSmallObject(id, type));
                    if (parsed.Tree is { } tree) pending.Push(tree);
                    if (parsed.TagTarget is { } target) pending.Push(target);
                    foreach (var parent in parsed.Parents) pending.Push(parent);
                    break;
            }
        }
    }

    private IReadOnlyList<TreeEntry>? TryReadTree(GitObjectId tree)
    {
        try
        {
            return _store.ReadTree(tree);
        }
        catch (MissingObjectException)
        {
            // A live hash whose tree is gone has nothing more to keep.
            return null;
        }
    }
}
