using System.Collections.Concurrent;
using AgentSnapshots.Engine.Objects.Backends;

namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// The packs of one object store (<c>objects/pack</c>), found by their indexes. The list is read once and read again
/// when an object is not found (a pack may have been written or consolidated since, by the service or by git), as git
/// itself does. Opened packs are shared by every store instance of the process: they are immutable under their name.
/// </summary>
internal sealed class PackSet(string directory, BackedStore? backed = null)
{
    private static readonly ConcurrentDictionary<string, PackFile> s_opened = new(StringComparer.Ordinal);

    private readonly Lock _gate = new();
    private PackFile[]? _packs;

    public string Directory { get; } = directory;

    /// <summary>The usable packs as last scanned (scanned on first use).</summary>
    public IReadOnlyList<PackFile> Packs => Volatile.Read(ref _packs) ?? Scan();

    public bool TryFind(GitObjectId id, out PackFile pack, out long offset)
    {
        foreach (var candidate in Packs)
        {
            var position = candidate.Index.Find(id);
            if (position >= 0)
            {
                pack = candidate;
                offset = candidate.Index.OffsetAt(position);
                return true;
            }
        }
        pack = null!;
        offset = 0;
        return false;
    }

    /// <summary>Reads the directory again; true if the set of packs changed.</summary>
    public bool Refresh()
    {
        var before = Volatile.Read(ref _packs);
        var after = Scan();
        return before is null || !before.AsSpan().SequenceEqual(after);
    }

    /// <summary>Forgets a pack the caller deleted, so no later scan of any store reuses its open index.</summary>
    public static void Forget(string indexPath) => s_opened.TryRemove(indexPath, out _);

    private PackFile[] Scan()
    {
        PackFile[] packs;
        List<string>? damagedCopies = null;
        lock (_gate)
        {
            var found = new List<PackFile>();
            if (System.IO.Directory.Exists(Directory))
            {
                foreach (var indexPath in System.IO.Directory.EnumerateFiles(Directory, "pack-*.idx"))
                {
                    try
                    {
                        found.Add(Opened(indexPath, backed));
                    }
                    catch (FileNotFoundException)
                    {
                        // An index whose pack is gone (deleted by a repack in flight): not a pack.
                    }
                    catch (InvalidDataException) when (backed is not null && BackedStore.IsCachedCopy(indexPath))
                    {
                        // A damaged copy of a pack the backend holds (torn by a crash of the machine): the backend's is read instead.
                        (damagedCopies ??= []).Add(indexPath);
                    }
                    catch (Exception e) when (e is InvalidDataException or UnauthorizedAccessException)
                    {
                        // A damaged or unreadable pack is not used: its objects are read from elsewhere, or reported
                        // missing where they are needed.
                    }
                }
            }
            // Newest first: recent snapshots are read most, and their objects are in the newest packs.
            found.Sort((a, b) => b.LastWriteTimeUtc.CompareTo(a.LastWriteTimeUtc));
            packs = found.ToArray();
            Volatile.Write(ref _packs, packs);
        }
        // Outside the set's gate: discarding takes the pack directory's, which a sync holds while it scans.
        foreach (var indexPath in damagedCopies ?? []) backed!.DiscardCachedCopy(Path.ChangeExtension(indexPath, ".pack"));
        return packs;
    }

    private static PackFile Opened(string indexPath, BackedStore? backed)
    {
        if (s_opened.TryGetValue(indexPath, out var known))
        {
            var pack = new FileInfo(known.PackPath);
            var index = new FileInfo(indexPath);
            if (pack.Exists && index.Exists && pack.Length == known.Length && index.Length == known.Index.Length)
            {
                return known;
            }
            s_opened.TryRemove(indexPath, out _);
        }
        var opened = PackFile.Open(indexPath, backed);
        return s_opened.GetOrAdd(indexPath, opened);
    }
}
