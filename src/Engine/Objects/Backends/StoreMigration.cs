using System.Buffers;
using System.Security.Cryptography;
using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>What one store's migration did: packs stored, objects checked in the backend.</summary>
public readonly record struct StoreMigrated(string StoreId, int Packs, long Bytes, long ObjectsVerified);

/// <summary>
/// Copies a local store (a bare repository under a single node's <c>DataDir</c>) into an object backend and checks the
/// copy object by object: its packs as they are, its loose objects as one new pack; then every object of the local
/// store is read back through a fresh cache of the backend and hashed again. The local store is only read.
/// </summary>
public static class StoreMigration
{
    /// <summary>Copies <paramref name="local"/> as store <paramref name="storeId"/> of <paramref name="backend"/> and verifies it (through a cache under <paramref name="scratchDirectory"/>).</summary>
    public static StoreMigrated Migrate(ObjectStore local, IObjectBackend backend, string storeId, string scratchDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(backend);
        var packs = 0;
        long bytes = 0;
        local.Packs.Refresh();
        foreach (var pack in local.Packs.Packs)
        {
            bytes += Put(backend, storeId, pack.PackPath, cancellationToken);
            Put(backend, storeId, Path.ChangeExtension(pack.PackPath, ".idx"), cancellationToken);
            packs++;
        }
        var loose = local.Loose.Files().Where(l => !local.Packs.TryFind(l.Id, out _, out _)).Select(l => l.Id).ToList();
        if (loose.Count > 0)
        {
            var staging = Directory.CreateDirectory(Path.Combine(scratchDirectory, "staging-" + storeId)).FullName;
            try
            {
                var written = LoosePack.Write(local, loose, staging, cancellationToken);
                bytes += Put(backend, storeId, written.PackPath, cancellationToken);
                Put(backend, storeId, written.IndexPath, cancellationToken);
                packs++;
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        var verified = Verify(local, backend, storeId, Path.Combine(scratchDirectory, "verify"), cancellationToken);
        return new StoreMigrated(storeId, packs, bytes, verified);
    }

    /// <summary>Reads every object of <paramref name="local"/> back from the backend (a fresh cache) and checks its id is the hash of what was read; returns how many.</summary>
    private static long Verify(ObjectStore local, IObjectBackend backend, string storeId, string scratch, CancellationToken cancellationToken)
    {
        var copy = new PackCache(backend, scratch, long.MaxValue).Open(storeId);
        long verified = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            foreach (var id in local.EnumerateObjects().Distinct())
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var content = copy.OpenObject(id, out var type, out var size);
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
                sha.AppendData(LooseObjects.Header(type, size));
                int n;
                while ((n = content.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, n);
                if (new GitObjectId(sha.GetHashAndReset()) != id)
                {
                    throw new CorruptObjectException(id, copy.GitDir, $"the {backend.Name} object store's copy of store {storeId} does not hash to its id");
                }
                verified++;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Directory.Delete(copy.GitDir, recursive: true);
        }
        return verified;
    }

    private static long Put(IObjectBackend backend, string storeId, string path, CancellationToken cancellationToken)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
        var length = file.Length;
        Task.Run(() => backend.PutAsync(storeId, Path.GetFileName(path), file, length, cancellationToken), cancellationToken).GetAwaiter().GetResult();
        return length;
    }
}
