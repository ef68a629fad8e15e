using System.Text;
using AgentSnapshots.Engine.Ignore;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine;

/// <summary>
/// Makes a working tree match a snapshot for the paths in scope, given the safety snapshot just taken of it.
/// Only paths one of the two snapshots covers are touched: files the target lacks are deleted, files that differ
/// are replaced (written beside, then renamed over), and a path absent from the safety snapshot but present on
/// disk (ignored, skipped, unreadable) is left alone. Nothing is ever written through a symlinked directory.
/// </summary>
internal sealed class WorkspaceRestorer(string root, ObjectStore store, ILogger logger, IReadOnlyList<string>? excludes = null)
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
            // Deletions first, so a file that becomes a directory (or the reverse) has room.
            foreach (var change in changes.Where(c => c.New is null))
            {
                current = change.Path;
                ct.ThrowIfCancellationRequested();
                var absolute = RelativePath.ToAbsolute(root, change.Path);
                if (TargetIgnores(target, change.Path))
                {
                    // Absent from the target because the target's own ignore rules left it out (it may well have
                    // existed then): deleting it would lose work, e.g. when an undo runs after .gitignore changed.
                    EngineLog.RestoreKept(logger, change.Path, root, targetHash);
                    continue;
                }
                EnsureRealParents(change.Path, create: false);
                if (File.Exists(absolute) || IsSymlink(absolute))
                {
                    File.Delete(absolute);
                    deleted.Add(change.Path);
                }
                PruneEmptyParents(change.Path);
            }
            foreach (var change in changes.Where(c => c.New is not null))
            {
                current = change.Path;
                ct.ThrowIfCancellationRequested();
                var entry = change.New!.Value;
                var absolute = RelativePath.ToAbsolute(root, change.Path);
                if (change.Old is null && (Path.Exists(absolute) || IsSymlink(absolute)))
                {
                    // Present on disk but not in the safety snapshot: ignored or skipped now, so not ours to overwrite.
                    EngineLog.RestoreKept(logger, change.Path, root, targetHash);
                    continue;
                }
                EnsureRealParents(change.Path, create: true);
                if (change.Old is { } old && old.Id == entry.Id && old.Mode != EntryMode.Symlink && entry.Mode != EntryMode.Symlink)
                {
                    SetMode(absolute, entry.Mode);
                }
                else
                {
                    WriteEntry(absolute, entry);
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

    private void WriteEntry(string absolute, TreeEntry entry)
    {
        var directory = Path.GetDirectoryName(absolute)!;
        var temporary = Path.Join(directory, "." + Path.GetFileName(absolute) + ".agentsnapshots-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            if (entry.Mode == EntryMode.Symlink)
            {
                using var blob = store.OpenBlob(entry.Id);
                using var reader = new StreamReader(blob, Encoding.UTF8);
                File.CreateSymbolicLink(temporary, reader.ReadToEnd());
            }
            else
            {
                using (var blob = store.OpenBlob(entry.Id))
                using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    blob.CopyTo(output, 1 << 17);
                }
                SetMode(temporary, entry.Mode);
            }
            if (Directory.Exists(absolute) && !IsSymlink(absolute))
            {
                throw new IOException($"'{absolute}' is a directory that still holds files no snapshot covers; move them away and restore again.");
            }
            // rename(2) replaces a file or a symlink atomically, and never follows a symlink at the destination.
            Posix.Rename(temporary, absolute);
        }
        catch
        {
            if (File.Exists(temporary) || IsSymlink(temporary)) File.Delete(temporary);
            throw;
        }
    }

    private static void SetMode(string absolute, EntryMode mode)
    {
        var current = File.GetUnixFileMode(absolute);
        const UnixFileMode exec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        var wanted = mode == EntryMode.ExecutableFile
            ? current | UnixFileMode.UserExecute | ReadableToExec(current)
            : current & ~exec;
        if (wanted != current) File.SetUnixFileMode(absolute, wanted);
    }

    // chmod +x style: execute for whoever may read.
    private static UnixFileMode ReadableToExec(UnixFileMode m) =>
        (m.HasFlag(UnixFileMode.GroupRead) ? UnixFileMode.GroupExecute : 0) | (m.HasFlag(UnixFileMode.OtherRead) ? UnixFileMode.OtherExecute : 0);

    /// <summary>Checks (and optionally creates) every parent of a path as a real directory inside the workspace.</summary>
    private void EnsureRealParents(string relativePath, bool create)
    {
        var parts = relativePath.Split('/');
        var dir = root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (!RelativePath.IsSafeName(parts[i])) throw new IOException($"The snapshot holds an unsafe path '{relativePath}'.");
            dir = Path.Join(dir, parts[i]);
            if (IsSymlink(dir))
            {
                throw new IOException($"'{dir}' is a symlink that no snapshot covers; restore does not write through it. Remove or rename it and restore again.");
            }
            if (Directory.Exists(dir)) continue;
            if (File.Exists(dir))
            {
                throw new IOException($"'{dir}' is a file that no snapshot covers, where the snapshot has a directory; move it away and restore again.");
            }
            if (!create) return;
            Directory.CreateDirectory(dir);
        }
        if (!RelativePath.IsSafeName(parts[^1])) throw new IOException($"The snapshot holds an unsafe path '{relativePath}'.");
    }

    private void PruneEmptyParents(string relativePath)
    {
        for (var parent = Path.GetDirectoryName(relativePath.Replace('/', Path.DirectorySeparatorChar)); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            var absolute = Path.Join(root, parent);
            // RawDirectory also sees names .NET cannot (not valid UTF-8), so a directory holding only those is kept.
            if (IsSymlink(absolute) || !Directory.Exists(absolute) || !RawDirectory.IsEmpty(absolute)) return;
            Directory.Delete(absolute);
        }
    }

    /// <summary>Whether the path itself is a symlink (dangling or not), without following it.</summary>
    private static bool IsSymlink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>A restore stopped part way; the safety snapshot taken before it holds the workspace as it was.</summary>
public sealed class RestoreFailedException(string safety, string path, Exception inner)
    : EngineException(EngineError.RestoreFailed, $"Restore stopped at '{path}': {inner.Message} The workspace is partly restored; restore snapshot {safety} (taken just before) to undo it.", inner)
{
    public string Safety { get; } = safety;
}
