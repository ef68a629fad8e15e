using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>
/// One workspace's store kept in an object backend (<see cref="IObjectBackend"/>), its directory under <c>DataDir</c>
/// only a cache and working copy. A track writes loose objects here as always; <see cref="Publish"/> then packs them
/// and puts the pack and its index in the backend before the snapshot is recorded. A silo reads what it lacks from the
/// backend: <see cref="Sync"/> fetches the indexes of packs it has not cached, and a pack's ranges are fetched on first
/// read (<see cref="SparsePack"/>). The backend's list of packs is the truth: a pack is usable there once its index is.
/// </summary>
public sealed class BackedStore
{
    private const string StagingDirectoryName = "agentsnapshots-staging";
    private const int DownloadBytes = 4 << 20;

    private readonly ObjectStore _store;

    internal BackedStore(PackCache cache, ObjectStore store)
    {
        Cache = cache;
        _store = store;
        StoreId = Path.GetFileName(store.GitDir);
    }

    /// <summary>The store's name in the backend (the workspace id).</summary>
    public string StoreId { get; }

    internal PackCache Cache { get; }

    private IObjectBackend Backend => Cache.Backend;

    private string PackDirectory => _store.Packs.Directory;

    /// <summary>
    /// Lists the backend's packs: each one not cached here becomes readable (its index fetched, its pack a file of its
    /// length whose ranges come on first read); a cached pack the backend no longer has (collection replaced it) is
    /// deleted here. True if the set of packs here changed.
    /// </summary>
    public bool Sync(CancellationToken cancellationToken = default)
    {
        var files = Run(ct => Backend.ListAsync(StoreId, ct), cancellationToken);
        lock (PackDirectoryGates.For(PackDirectory))
        {
            var lengths = files.ToDictionary(f => f.Name, f => f.Length, StringComparer.Ordinal);
            var changed = false;
            Directory.CreateDirectory(PackDirectory);
            foreach (var (name, length) in lengths)
            {
                if (!name.EndsWith(".pack", StringComparison.Ordinal)) continue;
                var index = Path.ChangeExtension(name, ".idx");
                if (!lengths.ContainsKey(index) || (File.Exists(Path.Combine(PackDirectory, index)) && File.Exists(Path.Combine(PackDirectory, name)))) continue;
                Fetch(name, length, cancellationToken);
                changed = true;
            }
            foreach (var map in Directory.EnumerateFiles(PackDirectory, "pack-*" + SparsePack.MapExtension))
            {
                var packPath = Path.ChangeExtension(map, ".pack");
                if (lengths.ContainsKey(Path.GetFileName(Path.ChangeExtension(map, ".idx")))) continue;
                PackCache.DeleteCachedPack(packPath);
                Cache.Forgot(packPath);
                changed = true;
            }
            if (changed) _store.Packs.Refresh();
            return changed;
        }
    }

    /// <summary>
    /// Puts in the backend what this store holds and the backend lacks: packs of its own (written by a collection, or
    /// from before the store was backed), then its loose objects as one new pack. Each pack goes before its index, and
    /// the index is what makes it count; once both are stored the pack is cached here and the loose objects it holds are
    /// deleted. Throws <see cref="ObjectBackendException"/> if the backend fails: what was not stored is still here,
    /// and the next publish stores it.
    /// </summary>
    public PublishResult Publish(CancellationToken cancellationToken = default) =>
        Run(ct => PublishAsync(work => Task.FromResult(work()), ct), cancellationToken);

    /// <summary>
    /// <see cref="Publish"/> with the file work (finding what to store, packing the loose objects) run through
    /// <paramref name="onFileThreads"/> (the silo's snapshot threads) and the uploads awaited outside it: a thread
    /// waits for the file work only, never for the backend's round trips.
    /// </summary>
    public async Task<PublishResult> PublishAsync(Func<Func<StagedPublish>, Task<StagedPublish>> onFileThreads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onFileThreads);
        var staged = await onFileThreads(() => Stage(cancellationToken)).ConfigureAwait(false);
        try
        {
            foreach (var own in staged.OwnPacks) await UploadAsync(own, cancellationToken).ConfigureAwait(false);
            if (staged.Loose is { } loose) await UploadAsync(loose.PackPath, cancellationToken).ConfigureAwait(false);
            return Complete(staged);
        }
        catch
        {
            if (staged.Loose is not null) ClearStaging();
            throw;
        }
    }

    private string StagingDirectory => Path.Combine(_store.GitDir, StagingDirectoryName);

    /// <summary>What a publish stores: the store's own packs, and its loose objects packed in the staging directory.</summary>
    private StagedPublish Stage(CancellationToken cancellationToken)
    {
        var own = OwnPacks();
        // Loose objects an own pack holds (a collection's new pack) go with that pack, not again in one of their own.
        if (own.Count > 0) Refresh();
        // One scan of the loose objects: these are packed now, and deleted once stored (one writer: no others come meanwhile).
        var files = _store.Loose.Files().ToList();
        var loose = files.Where(l => !_store.Packs.TryFind(l.Id, out _, out _)).Select(l => l.Id).ToList();
        if (loose.Count == 0) return new StagedPublish(own, null, files);
        // The staging directory stays between publishes (no directory made and removed per track); one writer per
        // store, so whatever is in it is left from an interrupted publish.
        ClearStaging();
        Directory.CreateDirectory(StagingDirectory);
        try
        {
            return new StagedPublish(own, LoosePack.Write(_store, loose, StagingDirectory, cancellationToken), files);
        }
        catch
        {
            ClearStaging();
            throw;
        }
    }

    private void ClearStaging()
    {
        if (!Directory.Exists(StagingDirectory)) return;
        foreach (var file in Directory.EnumerateFiles(StagingDirectory)) TryDelete(file);
    }

    /// <summary>Once everything staged is stored: the packs count as cached here, and the loose copies of what they hold go.</summary>
    private PublishResult Complete(StagedPublish staged)
    {
        long bytes = 0;
        foreach (var own in staged.OwnPacks)
        {
            SparsePack.WriteMap(SparsePack.MapPathOf(own), new FileInfo(own).Length, present: true);
            bytes += new FileInfo(own).Length;
        }
        if (staged.Loose is { } written)
        {
            var packPath = Path.Combine(PackDirectory, written.Name + ".pack");
            var indexPath = Path.Combine(PackDirectory, written.Name + ".idx");
            // Under the sync gate: a diff's sync may be laying out the same pack, just stored, from the backend.
            lock (PackDirectoryGates.For(PackDirectory))
            {
                if (!File.Exists(indexPath))
                {
                    SparsePack.WriteMap(SparsePack.MapPathOf(packPath), written.PackBytes, present: true);
                    File.Move(written.PackPath, packPath, overwrite: true);
                    File.Move(written.IndexPath, indexPath, overwrite: true);
                }
                else
                {
                    TryDelete(written.PackPath);
                    TryDelete(written.IndexPath);
                }
            }
            bytes += written.PackBytes;
        }
        if (staged.OwnPacks.Count > 0 || staged.Loose is not null) Refresh();
        // Every loose object is in a stored pack now (or was already): the loose copies go.
        foreach (var (id, file) in staged.LooseFiles)
        {
            if (_store.Packs.TryFind(id, out _, out _)) TryDelete(file.FullName);
        }
        return new PublishResult(staged.OwnPacks.Count + (staged.Loose is null ? 0 : 1), staged.Loose?.Objects ?? 0, bytes);
    }

    /// <summary>Whether the pack of index <paramref name="indexPath"/> is a cached copy of one in the backend (it has a chunk map), not one of the store's own.</summary>
    internal static bool IsCachedCopy(string indexPath) => File.Exists(SparsePack.MapPathOf(Path.ChangeExtension(indexPath, ".pack")));

    /// <summary>Deletes a damaged cached copy of a pack here (its index first) and its account: the next read that needs it fetches the backend's again.</summary>
    internal void DiscardCachedCopy(string packPath)
    {
        PackCache.DeleteCachedPack(packPath);
        Cache.Forgot(packPath);
    }

    /// <summary>Deletes pack <paramref name="packName"/> (<c>pack-*</c>) from the backend, its index first (so no reader lists a pack without its data).</summary>
    internal void Delete(string packName, CancellationToken cancellationToken = default)
    {
        Run(async ct =>
        {
            await Backend.DeleteAsync(StoreId, packName + ".idx", ct).ConfigureAwait(false);
            await Backend.DeleteAsync(StoreId, packName + ".pack", ct).ConfigureAwait(false);
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Removes from the backend what interrupted puts left (older than <paramref name="olderThan"/>) and packs without
    /// an index (a publish that stopped between the two): collection calls this, in the store's writer's turn, so no
    /// publish of this store is in flight.
    /// </summary>
    internal int RemoveLeftovers(TimeSpan olderThan, CancellationToken cancellationToken = default)
    {
        var removed = Run(ct => Backend.RemoveInterruptedAsync(StoreId, olderThan, ct), cancellationToken);
        var files = Run(ct => Backend.ListAsync(StoreId, ct), cancellationToken);
        var names = files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in names.Where(n => n.EndsWith(".pack", StringComparison.Ordinal) && !names.Contains(Path.ChangeExtension(n, ".idx"))).ToList())
        {
            Run(async ct =>
            {
                await Backend.DeleteAsync(StoreId, name, ct).ConfigureAwait(false);
                return 0;
            }, cancellationToken);
            removed++;
        }
        return removed;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>'s length of backend file <paramref name="name"/> from <paramref name="offset"/>.</summary>
    internal void ReadExactly(string name, long offset, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Run(ct => Backend.ReadAsync(StoreId, name, offset, buffer, ct), CancellationToken.None);
            if (n == 0) throw new InvalidDataException($"The {Backend.Name} object store's {name} of store {StoreId} ends before offset {offset}.");
            offset += n;
            buffer = buffer[n..];
        }
    }

    /// <summary>Packs in the pack directory with no chunk map: the store's own, not stored in the backend yet.</summary>
    private List<string> OwnPacks()
    {
        var own = new List<string>();
        if (!Directory.Exists(PackDirectory)) return own;
        foreach (var index in Directory.EnumerateFiles(PackDirectory, "pack-*.idx"))
        {
            var pack = Path.ChangeExtension(index, ".pack");
            if (File.Exists(pack) && !File.Exists(SparsePack.MapPathOf(pack))) own.Add(pack);
        }
        return own;
    }

    /// <summary>Puts a pack and then its index in the backend (the index last: it is what makes the pack count).</summary>
    private async Task UploadAsync(string packPath, CancellationToken cancellationToken)
    {
        var indexPath = Path.ChangeExtension(packPath, ".idx");
        await using var pack = new FileStream(packPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous);
        await using var index = new FileStream(indexPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous);
        await Backend.PutPackAsync(StoreId, Path.GetFileName(packPath), pack, pack.Length, Path.GetFileName(indexPath), index, index.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads a pack's index and lays out the pack as an absent-chunks file of its length; the index last, as that is what makes it visible.</summary>
    private void Fetch(string packName, long length, CancellationToken cancellationToken)
    {
        var packPath = Path.Combine(PackDirectory, packName);
        var indexName = Path.ChangeExtension(packName, ".idx");
        var temporary = Path.Combine(PackDirectory, "tmp_idx_" + Guid.NewGuid().ToString("N"));
        try
        {
            var indexLength = Run(ct => Backend.LengthAsync(StoreId, indexName, ct), cancellationToken)
                ?? throw new FileNotFoundException($"The {Backend.Name} object store no longer has {indexName} of store {StoreId}.");
            using (var index = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[(int)Math.Min(DownloadBytes, Math.Max(1, indexLength))];
                for (long offset = 0; offset < indexLength;)
                {
                    var part = buffer.AsMemory(0, (int)Math.Min(buffer.Length, indexLength - offset));
                    ReadExactly(indexName, offset, part);
                    index.Write(part.Span);
                    offset += part.Length;
                }
            }
            if (!File.Exists(packPath) || new FileInfo(packPath).Length != length || !File.Exists(SparsePack.MapPathOf(packPath)))
            {
                SparsePack.WriteMap(SparsePack.MapPathOf(packPath), length, present: false);
                using var sparse = File.OpenHandle(packPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                RandomAccess.SetLength(sparse, length);
            }
            // Files of that name read before (a pack evicted, or its files deleted behind the silo's back) are not
            // these: no reader may reuse what the process remembers of them (chunks it had fetched).
            var indexPath = Path.Combine(PackDirectory, indexName);
            PackSet.Forget(indexPath);
            File.Move(temporary, indexPath, overwrite: true);
            PackSet.Forget(indexPath);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private void Refresh() => _store.Packs.Refresh();

    /// <summary>Runs a backend call from the engine's synchronous code (the snapshot and diff threads wait for it).</summary>
    private static T Run<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        Task.Run(() => call(cancellationToken), cancellationToken).GetAwaiter().GetResult();

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover the next collection removes.
        }
    }
}

/// <summary>What a publish stages: the store's own packs not stored yet, and its loose objects packed (null if none).</summary>
public sealed class StagedPublish
{
    internal StagedPublish(IReadOnlyList<string> ownPacks, PackWritten? loose, IReadOnlyList<(GitObjectId Id, FileInfo File)> looseFiles)
    {
        OwnPacks = ownPacks;
        Loose = loose;
        LooseFiles = looseFiles;
    }

    internal IReadOnlyList<string> OwnPacks { get; }

    internal PackWritten? Loose { get; }

    /// <summary>Every loose object the stage found (those the stored packs hold are deleted once stored).</summary>
    internal IReadOnlyList<(GitObjectId Id, FileInfo File)> LooseFiles { get; }
}

/// <summary>What a publish stored: packs put in the backend, loose objects they took, and the packs' bytes.</summary>
public readonly record struct PublishResult(int Packs, int Objects, long Bytes);
