using AgentSnapshots.Engine.WorkingTree.Reading;

namespace AgentSnapshots.Engine.WorkingTree;

/// <summary>
/// The restorer's open directories: the workspace root and the handles down to the directory it works in now.
/// Paths come in tree order, so moving to the next one closes the handles below the common parent and opens the
/// rest from there; at most one handle per level is open. Each level is checked on the way down: a symlink or a
/// file where a directory belongs stops the restore with a message saying what to move.
/// </summary>
internal sealed class DirectoryChain(string root, bool portable) : IDisposable
{
    private readonly List<(string Name, IWritableDirectory Directory)> _open = [];
    private readonly IWritableDirectory _root = WorkingDirectory.OpenRootForWriting(root, portable);

    /// <summary>
    /// The directory holding <paramref name="parts"/>' last part, opened from the root down; null when a level is
    /// absent and <paramref name="create"/> is false (so there is nothing there to delete).
    /// </summary>
    public IWritableDirectory? Parent(string[] parts, bool create)
    {
        var depth = parts.Length - 1;
        var common = 0;
        while (common < _open.Count && common < depth && _open[common].Name == parts[common]) common++;
        Close(common);
        while (_open.Count < depth)
        {
            var name = parts[_open.Count];
            var parent = Top;
            if (parent.TryStat(name, out var stat))
            {
                var shown = Path.Join(root, string.Join('/', parts, 0, _open.Count + 1));
                if (stat.Kind == EntryKind.Symlink)
                {
                    throw new IOException($"'{shown}' is a symlink that no snapshot covers; restore does not write through it. Remove or rename it and restore again.");
                }
                if (stat.Kind != EntryKind.Directory)
                {
                    throw new IOException($"'{shown}' is a file that no snapshot covers, where the snapshot has a directory; move it away and restore again.");
                }
            }
            else if (!create)
            {
                return null;
            }
            // Opened without following a symlink: one swapped in since the check is refused here, not written through.
            _open.Add((name, parent.OpenOrCreateDirectory(name)));
        }
        return Top;
    }

    /// <summary>Removes the now empty directories above <paramref name="parts"/>' last part, deepest first, closing their handles.</summary>
    public void PruneEmpty(string[] parts)
    {
        for (var level = Math.Min(parts.Length - 1, _open.Count); level > 0; level--)
        {
            if (_open[level - 1].Name != parts[level - 1]) return;
            Close(level);
            var parent = level == 1 ? _root : _open[level - 2].Directory;
            if (!parent.TryRemoveEmptyDirectory(parts[level - 1])) return;
            Close(level - 1);
        }
    }

    public void Dispose()
    {
        Close(0);
        _root.Dispose();
    }

    private IWritableDirectory Top => _open.Count == 0 ? _root : _open[^1].Directory;

    private void Close(int keep)
    {
        for (var i = _open.Count - 1; i >= keep; i--)
        {
            _open[i].Directory.Dispose();
            _open.RemoveAt(i);
        }
    }
}
