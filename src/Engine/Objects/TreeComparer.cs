namespace AgentSnapshots.Engine.Objects;

/// <summary>How a path changed between two trees.</summary>
public enum ChangeStatus
{
    Added,
    Deleted,
    Modified,
}

/// <summary>One path whose entry differs between two trees. A side is null where the path is absent.</summary>
public readonly record struct TreeChange(string Path, TreeEntry? Old, TreeEntry? New)
{
    public ChangeStatus Status => Old is null ? ChangeStatus.Added : New is null ? ChangeStatus.Deleted : ChangeStatus.Modified;
}

/// <summary>Compares two trees file by file, descending only into subtrees whose ids differ.</summary>
public static class TreeComparer
{
    /// <summary>Changed non-directory paths ('/'-separated), in git's path order.</summary>
    public static IReadOnlyList<TreeChange> Compare(ObjectStore store, GitObjectId? from, GitObjectId? to, CancellationToken cancellationToken = default)
    {
        var changes = new List<TreeChange>();
        CompareInto(store, from, to, "", changes, cancellationToken);
        // Entries are merged by name per tree, so "a/x" may come before "a.b"; a full-path sort gives git's flat order.
        changes.Sort(static (x, y) => string.CompareOrdinal(x.Path, y.Path));
        return changes;
    }

    /// <summary>Every non-directory entry of a tree, keyed by '/'-separated path.</summary>
    public static IReadOnlyDictionary<string, TreeEntry> Flatten(ObjectStore store, GitObjectId tree, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        foreach (var change in Compare(store, null, tree, cancellationToken))
        {
            result.Add(change.Path, change.New!.Value);
        }
        return result;
    }

    private static void CompareInto(ObjectStore store, GitObjectId? from, GitObjectId? to, string prefix, List<TreeChange> changes, CancellationToken ct)
    {
        if (from == to) return;
        ct.ThrowIfCancellationRequested();
        var oldEntries = from is { } f ? store.ReadTree(f) : [];
        var newEntries = to is { } t ? store.ReadTree(t) : [];
        int i = 0, j = 0;
        while (i < oldEntries.Count || j < newEntries.Count)
        {
            int order = i == oldEntries.Count ? 1 : j == newEntries.Count ? -1 : string.CompareOrdinal(oldEntries[i].Name, newEntries[j].Name);
            if (order == 0)
            {
                Emit(store, prefix, oldEntries[i], newEntries[j], changes, ct);
                i++;
                j++;
            }
            else if (order < 0)
            {
                Emit(store, prefix, oldEntries[i++], null, changes, ct);
            }
            else
            {
                Emit(store, prefix, null, newEntries[j++], changes, ct);
            }
        }
    }

    private static void Emit(ObjectStore store, string prefix, TreeEntry? oldEntry, TreeEntry? newEntry, List<TreeChange> changes, CancellationToken ct)
    {
        var name = (oldEntry ?? newEntry)!.Value.Name;
        var path = prefix + name;
        var oldTree = oldEntry is { IsDirectory: true } o ? o.Id : (GitObjectId?)null;
        var newTree = newEntry is { IsDirectory: true } n ? n.Id : (GitObjectId?)null;
        var oldFile = oldEntry is { IsDirectory: false } ? oldEntry : null;
        var newFile = newEntry is { IsDirectory: false } ? newEntry : null;

        if (oldFile is not null || newFile is not null)
        {
            if (oldFile != newFile)
            {
                changes.Add(new TreeChange(path, oldFile, newFile));
            }
        }
        if (oldTree is not null || newTree is not null)
        {
            CompareInto(store, oldTree, newTree, path + "/", changes, ct);
        }
    }

}
