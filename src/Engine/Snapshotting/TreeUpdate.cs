using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.SystemCalls;
using AgentSnapshots.Engine.Watching;
using AgentSnapshots.Engine.WorkingTree.Reading;
using AgentSnapshots.Engine.WorkingTree;

namespace AgentSnapshots.Engine.Snapshotting;

/// <summary>
/// A track driven by the watcher: applies the changes it reported to the last snapshot's state, touching only the
/// names it named. Each named entry is stat'ed again through its directory's handle (opened from the root down);
/// files named by a write are read again whatever their stat says (so two writes within one timestamp tick are
/// not missed), new or re-created directories are walked, removed ones dropped with their watches, and a changed
/// .gitignore re-walks its directory's subtree (stat only: unchanged files are not read). A directory with too
/// many changes, or a name that is not valid UTF-8, has its listing read again.
/// </summary>
internal sealed class TreeUpdate(TreeWalk walk, TreeBuilder builder, WorkspaceWatch watch, string? dataDirectory)
{
    private readonly Dictionary<DirectoryState, IWorkingDirectory?> _open = [];
    private readonly HashSet<DirectoryState> _rewritten = [];
    private readonly HashSet<DirectoryState> _touched = [];

    private FullWalkReason? _needsFullWalk;

    /// <summary>
    /// Applies <paramref name="changes"/> (by watch descriptor) to <paramref name="root"/>; null when done, or why only
    /// a full walk will do (the root's own .gitignore changed, or the root itself went away).
    /// </summary>
    public FullWalkReason? Apply(IWorkingDirectory rootDirectory, DirectoryState root, Dictionary<int, PendingDirectory> changes)
    {
        _open[root] = rootDirectory;
        // What a full walk noted is no news: it saw every name.
        watch.Linked.TakeNewIdentities();
        try
        {
            var work = new Dictionary<DirectoryState, PendingDirectory>();
            foreach (var (wd, pending) in changes)
            {
                if (watch.NodeOf(wd) is not { Detached: false } node) continue;
                if (pending.SelfGone)
                {
                    // Deleted (the kernel dropped the watch) or moved (its watch would follow it): stop watching it here.
                    if (node.Parent is null) return FullWalkReason.RootReplaced;
                    watch.Remove(node);
                    node.Watch = -1;
                    Merge(work, node.Parent).Add(node.Name, InotifyMask.Ignored);
                }
                if (pending.Whole) Merge(work, node).MarkWhole();
                else if (pending.Names is { Count: > 0 } names)
                {
                    var into = Merge(work, node);
                    foreach (var (name, mask) in names) into.Add(name, mask);
                }
            }
            AddLinkedFiles(work);
            // The root's own rules changed: a full walk follows. Nothing is applied first, so it starts from the last
            // snapshot's state as recorded (a state changed in place without its trees rewritten would let the walk
            // reuse a stale tree: issue 25's missed file beside a root .gitignore rewrite).
            if (work.TryGetValue(root, out var atRoot) && IgnoreFileNamed(atRoot, root, rootDirectory))
            {
                RulesChanged(root);
                return _needsFullWalk;
            }
            foreach (var (node, pending) in work.OrderBy(w => w.Key.Depth))
            {
                if (node.Detached) continue;
                if (Open(node) is not { } directory)
                {
                    // No longer a directory there: its parent's entry says what it is now.
                    Update(node.Parent!, node.Name, InotifyMask.Ignored);
                    continue;
                }
                if (IgnoreFileNamed(pending, node, directory))
                {
                    RulesChanged(node);
                    continue;
                }
                if (pending.Whole) Rescan(node, directory);
                else
                {
                    foreach (var (name, mask) in pending.Names!) Update(node, name, mask);
                }
            }
            UpdateOtherLinks(root);
            // Trees are rewritten even when a full walk must follow: the walk reuses the tree of every directory it
            // finds as the state records it, so the state's trees must match its entries.
            builder.Rebuild(_rewritten, _touched);
            return _needsFullWalk;
        }
        finally
        {
            foreach (var (node, directory) in _open)
            {
                if (node != root) directory?.Dispose();
            }
        }
    }

    /// <summary>
    /// Names every file with several hard links, as if an event had: a write through another of its names (one
    /// outside the workspace included) raises no event for this one. Its stat tells whether it changed; a
    /// .gitignore is named only if its stat changed (a name re-walks its directory).
    /// </summary>
    private void AddLinkedFiles(Dictionary<DirectoryState, PendingDirectory> work)
    {
        foreach (var (node, name) in watch.Linked.Entries())
        {
            if (node.Detached)
            {
                watch.Linked.Forget(node, name);
                continue;
            }
            if (name == ".gitignore")
            {
                if (Open(node) is { } directory && IgnoreFileChanged(node, directory)) Merge(work, node).Add(name, InotifyMask.None);
                continue;
            }
            Merge(work, node).Add(name, InotifyMask.None);
        }
    }

    /// <summary>
    /// A file first seen with several links in this track may be a link just made to a file the state holds under
    /// another name (<c>ln a b</c> raises an event for b only): those names are found by identity and stat'ed now,
    /// so they join <see cref="WorkspaceWatch.Linked"/>. A walk of the state only in a track where links appeared.
    /// </summary>
    private void UpdateOtherLinks(DirectoryState root)
    {
        if (watch.Linked.TakeNewIdentities() is not { } identities) return;
        var found = new List<(DirectoryState Node, string Name)>();
        var ignoreFiles = new List<DirectoryState>();
        foreach (var node in root.SelfAndDescendants())
        {
            foreach (var file in node.Files)
            {
                if (file.Name != ".gitignore" && identities.Contains(file.Stamp.Identity)) found.Add((node, file.Name));
            }
            // Whether tracked or ignored by its own rules, a .gitignore decides what the snapshot holds.
            if (node.IgnoreFile is { } rules && identities.Contains(rules.Stamp.Identity)) ignoreFiles.Add(node);
        }
        foreach (var (node, name) in found) Update(node, name, InotifyMask.None);
        foreach (var node in ignoreFiles)
        {
            if (!node.Detached && Open(node) is { } directory) LinkedIgnoreFile(node, directory);
        }
        // What these stats noted was found already.
        watch.Linked.TakeNewIdentities();
    }

    /// <summary>
    /// A tracked .gitignore just linked under another name: it joins the linked set (later writes through the other
    /// name are caught by its stat), and if it changed already (written through that name, which raised no event
    /// for this one) the rules changed unseen. Other changes of this track are applied by now, so a re-walk of its
    /// subtree here could meet directories this track rewrote; a full walk follows instead, from the state these
    /// changes leave once its trees are rebuilt.
    /// </summary>
    private void LinkedIgnoreFile(DirectoryState node, IWorkingDirectory directory)
    {
        try
        {
            if (directory.TryStat(".gitignore", out var stat) && stat.Kind == EntryKind.File) watch.Linked.Note(node, ".gitignore", stat);
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
            // Unreadable now: the full walk below says what it is.
        }
        if (!IgnoreFileChanged(node, directory)) return;
        ForgetRules(node);
        _needsFullWalk ??= FullWalkReason.IgnoreFilesChanged;
    }

    private static PendingDirectory Merge(Dictionary<DirectoryState, PendingDirectory> work, DirectoryState node)
    {
        if (!work.TryGetValue(node, out var pending))
        {
            pending = new PendingDirectory();
            work[node] = pending;
        }
        return pending;
    }

    /// <summary>The directory's handle, opened from its parent's (from the root down); null if it is no longer a directory.</summary>
    private IWorkingDirectory? Open(DirectoryState node)
    {
        if (_open.TryGetValue(node, out var open)) return open;
        IWorkingDirectory? opened = null;
        if (node.Parent is not null && Open(node.Parent) is { } parent)
        {
            try
            {
                opened = parent.OpenDirectory(node.Name);
            }
            catch (Exception e) when (EntryErrors.OfTheEntry(e))
            {
                opened = null;
            }
        }
        _open[node] = opened;
        return opened;
    }

    /// <summary>Brings entry <paramref name="name"/> of <paramref name="node"/> up to date after events <paramref name="mask"/> (none: only its stat may tell).</summary>
    private void Update(DirectoryState node, string name, InotifyMask mask)
    {
        if (node.Detached || name == ".git") return;
        if (Open(node) is not { } directory)
        {
            if (node.Parent is not null) Update(node.Parent, node.Name, InotifyMask.Ignored);
            return;
        }
        var path = node.ChildPath(name);
        if (path == dataDirectory) return;
        if (name == ".gitignore" && mask != InotifyMask.None)
        {
            RulesChanged(node);
            return;
        }
        node.ForgetSkipped(path);
        EntryStat stat;
        try
        {
            if (!directory.TryStat(name, out stat))
            {
                Remove(node, name);
                return;
            }
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
            Remove(node, name);
            node.AddSkipped(new SkippedPath(path, e is PathTooLongException ? SkipCause.PathTooLong : SkipCause.Unreadable));
            return;
        }
        var isDirectory = stat.Kind == EntryKind.Directory;
        if (stat.Kind == EntryKind.Other || node.Rules!.IsIgnored(path, isDirectory))
        {
            // An ignored name may be a link just made to a file the snapshot holds under another name: that name
            // raised no event, so the track still looks for it by identity.
            if (stat.Kind == EntryKind.File) watch.Linked.NoteUntracked(stat);
            Remove(node, name);
            return;
        }
        if (isDirectory)
        {
            watch.Linked.Forget(node, name);
            if (node.RemoveFile(name)) _rewritten.Add(node);
            var existing = node.DirectoryNamed(name);
            // Named by no event (its parent's listing is read again): kept, unless its watch went (deleted and
            // re-created, or moved: an event its parent's listing does not carry), so nothing vouches for its content.
            if (existing is { Watch: >= 0 } && mask == InotifyMask.None) return;
            var walked = walk.WalkSubtree(directory, node, name, existing);
            if (walked.Gone)
            {
                Remove(node, name);
                return;
            }
            builder.FinishWalked(walked);
            node.SetDirectory(walked);
            (existing is null ? _rewritten : _touched).Add(node);
            return;
        }
        watch.Linked.Note(node, name, stat);
        if (node.RemoveDirectory(name) is { } replaced)
        {
            builder.Detach(replaced);
            builder.Changes.Removed.Add(replaced.Path);
            _rewritten.Add(node);
        }
        var before = node.FileNamed(name);
        FileState? now;
        try
        {
            now = walk.ReadEntry(directory, node, name, stat, before, force: (mask & InotifyMask.Content) != 0);
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
            node.AddSkipped(new SkippedPath(path, e is PathTooLongException ? SkipCause.PathTooLong : SkipCause.Unreadable));
            now = null;
        }
        if (now is { } file)
        {
            if (before != file)
            {
                node.SetFile(file);
                _rewritten.Add(node);
            }
        }
        else if (node.RemoveFile(name))
        {
            _rewritten.Add(node);
        }
    }

    private void Remove(DirectoryState node, string name)
    {
        watch.Linked.Forget(node, name);
        if (node.RemoveFile(name)) _rewritten.Add(node);
        if (node.RemoveDirectory(name) is { } removed)
        {
            builder.Detach(removed);
            builder.Changes.Removed.Add(removed.Path);
            _rewritten.Add(node);
        }
    }

    /// <summary>Reads a directory's listing again: every name it holds now or held before is brought up to date (subdirectories kept unless new).</summary>
    private void Rescan(DirectoryState node, IWorkingDirectory directory)
    {
        var entries = new List<DirectoryEntry>();
        var unrepresentable = new List<UnrepresentableEntry>();
        try
        {
            directory.ReadEntries(entries, unrepresentable, node);
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
            if (node.Parent is not null) Update(node.Parent, node.Name, InotifyMask.Ignored);
            return;
        }
        var names = new HashSet<string>(entries.Select(e => e.Name), StringComparer.Ordinal);
        names.UnionWith(node.Files.Select(f => f.Name));
        names.UnionWith(node.Directories.Select(d => d.Name));
        if (node.Skipped is { } skipped)
        {
            // Skipped children (too large, unreadable) are names too; the directory's own "unreadable" entry is not.
            var prefix = node.Path.Length == 0 ? 0 : node.Path.Length + 1;
            names.UnionWith(skipped.Where(s => s.Cause != SkipCause.NotUtf8 && s.Path.Length > prefix + 1).Select(s => s.Path.TrimEnd('/')[prefix..]));
            skipped.RemoveAll(s => s.Cause == SkipCause.NotUtf8);
        }
        foreach (var entry in unrepresentable)
        {
            var path = node.ChildPath(entry.Display);
            if (!node.Rules!.IsIgnored(path, entry.IsDirectory)) node.AddSkipped(new SkippedPath(entry.IsDirectory ? path + "/" : path, SkipCause.NotUtf8));
        }
        foreach (var name in names.Order(StringComparer.Ordinal)) Update(node, name, InotifyMask.None);
    }

    /// <summary>
    /// A directory's .gitignore changed: its subtree is walked again; the root's needs a full walk. The file is parsed
    /// and stored again whatever its stat says (an edit that kept its size and modification time is still an edit):
    /// its entry stays in the state the walk compares with, marked racy, so the walk reads it again and the directory's
    /// tree is written again whether the file was rewritten or deleted (an entry simply removed would let a listing
    /// without the deleted file equal the state and keep the old tree, .gitignore and all).
    /// </summary>
    private void RulesChanged(DirectoryState node)
    {
        ForgetRules(node);
        if (node.Parent is null) _needsFullWalk = FullWalkReason.IgnoreFilesChanged;
        else Rewalk(node);
    }

    /// <summary>The directory's rules are read again by the next walk of it, and its .gitignore's blob with them.</summary>
    private static void ForgetRules(DirectoryState node)
    {
        node.IgnoreFile = null;
        if (node.FileNamed(".gitignore") is { } known) node.SetFile(known with { Racy = true });
    }

    /// <summary>Whether a directory's pending changes name its .gitignore (or its listing must be read again and its .gitignore changed).</summary>
    private static bool IgnoreFileNamed(PendingDirectory pending, DirectoryState node, IWorkingDirectory directory) =>
        pending.Names?.ContainsKey(".gitignore") == true || (pending.Whole && IgnoreFileChanged(node, directory));

    /// <summary>Whether the directory's .gitignore differs from the one its rules were built from (for a listing read again without names).</summary>
    private static bool IgnoreFileChanged(DirectoryState node, IWorkingDirectory directory)
    {
        try
        {
            var exists = directory.TryStat(".gitignore", out var stat) && stat.Kind == EntryKind.File;
            return exists != (node.IgnoreFile is not null) ||
                (node.IgnoreFile is { } known && !known.Matches(stat));
        }
        catch (Exception e) when (EntryErrors.OfTheEntry(e))
        {
            return true;
        }
    }

    /// <summary>Walks <paramref name="node"/>'s subtree again (its ignore rules changed): stat only, unchanged files are not read.</summary>
    private void Rewalk(DirectoryState node)
    {
        var parent = node.Parent!;
        if (Open(parent) is not { } parentDirectory)
        {
            Update(parent, node.Name, InotifyMask.Ignored);
            return;
        }
        var walked = walk.WalkSubtree(parentDirectory, parent, node.Name, node);
        if (walked.Gone)
        {
            Remove(parent, node.Name);
            return;
        }
        builder.FinishWalked(walked);
        parent.SetDirectory(walked);
        _touched.Add(parent);
    }
}
