using System.Text;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Ignore;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.WorkingTree.Reading;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine.WorkingTree;

/// <summary>
/// Makes a working tree match a snapshot for the paths in scope, given the safety snapshot just taken of it.
/// Only paths one of the two snapshots covers are touched: files the target lacks are deleted, files that differ
/// are replaced (written beside, then renamed over), and a path absent from the safety snapshot but present on
/// disk (ignored, skipped, unreadable) is left alone. Every change goes through directory handles opened from the
/// root down (see <see cref="IWritableDirectory"/>), so nothing is ever written or deleted through a symlink, even
/// one swapped in mid-restore.
/// </summary>
/// <param name="received">Blobs held outside the store (a workspace agent's, just received): read there first.</param>
internal sealed class WorkspaceRestorer(string root, ObjectStore store, ILogger logger, IReadOnlyList<string>? excludes = null, bool portable = false,
    Func<GitObjectId, Stream?>? received = null)
{
    private readonly Dictionary<string, (IgnoreRules Rules, GitObjectId? Tree)> _targetRules = new(StringComparer.Ordinal);

    public RestoreOutcome Restore(GitObjectId target, SnapshotTaken safety, IReadOnlyList<string>? scope, CancellationToken ct)
    {
        var safetyId = safety.Tree;
        var targetHash = target.ToHex();
        var skipped = safety.Skipped.Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<TreeChange> compared;
        try
        {
            compared = TreeComparer.Compare(store, safetyId, target, ct);
        }
        catch (StoreObjectException e)
        {
            throw e.NeededBy(store.GitDir, $"a tree of snapshot {targetHash} or of safety snapshot {safety.Hash}; nothing was restored");
        }
        var changes = compared
            .Where(c => scope is null || scope.Any(s => RelativePath.IsWithin(c.Path, s)))
            .Where(c => !skipped.Contains(c.Path) && !skipped.Any(s => s.EndsWith('/') && c.Path.StartsWith(s, StringComparison.Ordinal)))
            .ToList();

        var written = new List<string>();
        var deleted = new List<string>();
        var current = "";
        try
        {
            using var directories = new DirectoryChain(root, portable);
            // Deletions first, so a file that becomes a directory (or the reverse) has room.
            foreach (var change in changes.Where(c => c.New is null))
            {
                current = change.Path;
                ct.ThrowIfCancellationRequested();
                if (TargetIgnores(target, change.Path))
                {
                    // Absent from the target because the target's own ignore rules left it out (it may well have
                    // existed then): deleting it would lose work, e.g. when an undo runs after .gitignore changed.
                    EngineLog.RestoreKept(logger, change.Path, root, targetHash);
                    continue;
                }
                var parts = SafeParts(change.Path);
                if (directories.Parent(parts, create: false) is not { } parent) continue;
                if (parent.DeleteFile(parts[^1])) deleted.Add(change.Path);
                directories.PruneEmpty(parts);
            }
            foreach (var change in changes.Where(c => c.New is not null))
            {
                current = change.Path;
                ct.ThrowIfCancellationRequested();
                var entry = change.New!.Value;
                var parts = SafeParts(change.Path);
                var parent = directories.Parent(parts, create: false);
                if (change.Old is null && parent is not null && parent.TryStat(parts[^1], out _))
                {
                    // Present on disk but not in the safety snapshot: ignored or skipped now, so not ours to overwrite.
                    EngineLog.RestoreKept(logger, change.Path, root, targetHash);
                    continue;
                }
                parent ??= directories.Parent(parts, create: true)!;
                if (change.Old is { } old && old.Id == entry.Id && old.Mode != EntryMode.Symlink && entry.Mode != EntryMode.Symlink)
                {
                    parent.SetExecutable(parts[^1], entry.Mode == EntryMode.ExecutableFile);
                }
                else
                {
                    WriteEntry(parent, parts[^1], entry);
                }
                written.Add(change.Path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            EngineLog.RestoreFailed(logger, e, root, targetHash, current, safety.Hash);
            throw new RestoreFailedException(safety.Hash, current, e);
        }
        catch (StoreObjectException e)
        {
            // The store failed, not the disk: the error keeps its code and says what is restored and how to undo it.
            EngineLog.RestoreFailed(logger, e, root, targetHash, current, safety.Hash);
            throw e.NeededBy(store.GitDir, written.Count + deleted.Count > 0
                ? $"'{current}' of snapshot {targetHash}; the workspace is partly restored: restore snapshot {safety.Hash} (taken just before) to undo it"
                : $"'{current}' of snapshot {targetHash}; nothing was restored");
        }
        catch (OperationCanceledException e) when (written.Count + deleted.Count > 0)
        {
            // Stopped between files: say how far it got and how to undo it.
            EngineLog.RestoreCancelled(logger, root, targetHash, written.Count, deleted.Count, safety.Hash);
            throw new OperationCanceledException(
                $"Restore cancelled after {written.Count} files written and {deleted.Count} deleted; the workspace is partly restored: restore snapshot {safety.Hash} (taken just before) to undo it.",
                e, e.CancellationToken);
        }
        EngineLog.Restored(logger, root, targetHash, safety.Hash, written.Count, deleted.Count);
        return new RestoreOutcome(target, safety, written, deleted);
    }

    /// <summary>
    /// Whether the target snapshot's own .gitignore files (read from its trees) and the configured excludes ignore
    /// <paramref name="path"/>. Rules from above the workspace and info/exclude are not in any snapshot; a restore
    /// does not change them, and what they ignore is in no safety snapshot either, so it is never deleted anyway.
    /// </summary>
    private bool TargetIgnores(GitObjectId target, string path)
    {
        var parts = path.Split('/');
        var (rules, tree) = RulesIn(target, "");
        var dir = "";
        for (var i = 0; i < parts.Length - 1; i++)
        {
            var child = dir.Length == 0 ? parts[i] : dir + "/" + parts[i];
            if (rules.IsIgnored(child, isDirectory: true)) return true;
            if (!_targetRules.TryGetValue(child, out var next))
            {
                GitObjectId? childTree = null;
                if (tree is { } t)
                {
                    foreach (var e in store.ReadTree(t))
                    {
                        if (e.IsDirectory && e.Name == parts[i]) childTree = e.Id;
                    }
                }
                next = (rules.Push(IgnoreFile.Inside(child, IgnoreLines(childTree))), childTree);
                _targetRules[child] = next;
            }
            (rules, tree, dir) = (next.Rules, next.Tree, child);
        }
        return rules.IsIgnored(path, isDirectory: false);
    }

    private (IgnoreRules Rules, GitObjectId? Tree) RulesIn(GitObjectId target, string dir)
    {
        if (!_targetRules.TryGetValue(dir, out var rules))
        {
            var fallbacks = excludes is { Count: > 0 } ? new[] { IgnoreFile.Inside("", excludes) } : [];
            rules = (IgnoreRules.Create([IgnoreFile.Inside("", IgnoreLines(target))], fallbacks), target);
            _targetRules[dir] = rules;
        }
        return rules;
    }

    /// <summary>The lines of the .gitignore file directly in <paramref name="tree"/> (none if it has none).</summary>
    private List<string> IgnoreLines(GitObjectId? tree)
    {
        if (tree is not { } t) return [];
        foreach (var e in store.ReadTree(t))
        {
            if (e.Name == ".gitignore" && e.Mode is EntryMode.RegularFile or EntryMode.ExecutableFile)
            {
                using var blob = store.OpenBlob(e.Id);
                using var reader = new StreamReader(blob, Encoding.UTF8);
                var lines = new List<string>();
                while (reader.ReadLine() is { } line) lines.Add(line);
                return lines;
            }
        }
        return [];
    }

    /// <summary>
    /// Writes <paramref name="entry"/> beside <paramref name="name"/> under a temporary name, then renames it over:
    /// rename(2) replaces a file or a symlink atomically and never follows a symlink at the destination.
    /// </summary>
    private void WriteEntry(IWritableDirectory parent, string name, TreeEntry entry)
    {
        var temporary = "." + name + ".agentsnapshots-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            if (entry.Mode == EntryMode.Symlink)
            {
                using var blob = OpenBlob(entry.Id);
                using var reader = new StreamReader(blob, Encoding.UTF8);
                parent.CreateSymlink(temporary, reader.ReadToEnd());
            }
            else
            {
                using var blob = OpenBlob(entry.Id);
                using var output = parent.CreateFile(temporary, entry.Mode == EntryMode.ExecutableFile);
                blob.CopyTo(output, 1 << 17);
            }
            if (parent.TryStat(name, out var there) && there.Kind == EntryKind.Directory)
            {
                throw new IOException($"'{Path.Join(root, name)}' is a directory that still holds files no snapshot covers; move them away and restore again.");
            }
            parent.Rename(temporary, name);
        }
        catch
        {
            parent.DeleteFile(temporary);
            throw;
        }
    }

    private Stream OpenBlob(GitObjectId id) => received?.Invoke(id) ?? store.OpenBlob(id);

    /// <summary>The path's names, each checked as a plain name (no '..', no separators) before any is used.</summary>
    private static string[] SafeParts(string relativePath)
    {
        var parts = relativePath.Split('/');
        return parts.All(RelativePath.IsSafeName) ? parts : throw new IOException($"The snapshot holds an unsafe path '{relativePath}'.");
    }
}

/// <summary>A restore stopped part way; the safety snapshot taken before it holds the workspace as it was.</summary>
public sealed class RestoreFailedException(string safety, string path, Exception inner)
    : EngineException(EngineError.RestoreFailed, $"Restore stopped at '{path}': {inner.Message} The workspace is partly restored; restore snapshot {safety} (taken just before) to undo it.", inner)
{
    public string Safety { get; } = safety;
}
