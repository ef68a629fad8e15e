namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>
/// Where a workspace's objects live when a silo's <c>DataDir</c> is only a cache (<c>Snapshots:ObjectStore</c> =
/// <c>postgres</c> or <c>s3</c>): per store (a workspace id, 64 lowercase hex characters), a flat set of immutable named
/// files, the packs (<c>pack-&lt;sha&gt;.pack</c>) and their indexes (<c>pack-&lt;sha&gt;.idx</c>). The engine never
/// rewrites a file under the same name: it puts a new pack, then deletes the old ones.
/// <para>Semantics every implementation keeps:</para>
/// <list type="bullet">
/// <item><see cref="PutAsync"/> is atomic: the file is listed and readable only once all of it is stored; a put that
/// fails or is interrupted leaves nothing that <see cref="ListAsync"/>, <see cref="LengthAsync"/> or
/// <see cref="ReadAsync"/> sees (what it left behind is removed by <see cref="RemoveInterruptedAsync"/>). Putting a
/// name that exists with the same content succeeds (a retried upload).</item>
/// <item>Reads are by range; a silo reads only the ranges it needs.</item>
/// <item>A file that is absent: <see cref="LengthAsync"/> answers null, <see cref="ReadAsync"/> throws
/// <see cref="FileNotFoundException"/> (the engine then lists again: a collection may have replaced the pack),
/// <see cref="DeleteAsync"/> does nothing.</item>
/// <item>The backend unreachable or failing (network, authentication, server error): throw
/// <see cref="ObjectBackendException"/> with a message that says which backend and what failed, never a key or a
/// password. The service answers 503 and records nothing.</item>
/// </list>
/// Calls may come from several threads at once, for different stores and for the same store. There is one writer per
/// store at a time (the workspace's grain); readers (diffs on any silo) run beside it. Refs and the kept set are not
/// stored here: the catalogue rows in the cluster's database are the record of what is kept.
/// </summary>
public interface IObjectBackend
{
    /// <summary>The backend's name as configured (<c>postgres</c>, <c>s3</c>), for messages and logs.</summary>
    string Name { get; }

    /// <summary>
    /// Stores <paramref name="length"/> bytes read from <paramref name="content"/> (read forward once, from its current
    /// position) as file <paramref name="name"/> of <paramref name="store"/>, atomically. Memory stays bounded whatever
    /// the length (the content is streamed in chunks or parts).
    /// </summary>
    Task PutAsync(string store, string name, Stream content, long length, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a pack and then its index (<see cref="PutAsync"/> each, so the index, which makes the pack count, is never
    /// listed without it). A backend that can store both in one round trip, atomically, does so.
    /// </summary>
    async Task PutPackAsync(string store, string packName, Stream pack, long packLength, string indexName, Stream index, long indexLength, CancellationToken cancellationToken)
    {
        await PutAsync(store, packName, pack, packLength, cancellationToken).ConfigureAwait(false);
        await PutAsync(store, indexName, index, indexLength, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The length of a complete file, or null if there is none of that name.</summary>
    Task<long?> LengthAsync(string store, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Reads up to <paramref name="buffer"/>'s length bytes of the file from <paramref name="offset"/>; returns how many
    /// were read (fewer only at the end of the file). Throws <see cref="FileNotFoundException"/> if the file is absent.
    /// </summary>
    Task<int> ReadAsync(string store, string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>The complete files of <paramref name="store"/> (any order); empty if the store has none.</summary>
    Task<IReadOnlyList<BackendFile>> ListAsync(string store, CancellationToken cancellationToken);

    /// <summary>Deletes a file; nothing if it is absent.</summary>
    Task DeleteAsync(string store, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what puts into <paramref name="store"/> that failed or were interrupted left behind (chunks, parts,
    /// temporary objects) once older than <paramref name="olderThan"/> (so a put in flight is never cut). Returns how
    /// many such leftovers were removed. Called by collection.
    /// </summary>
    Task<int> RemoveInterruptedAsync(string store, TimeSpan olderThan, CancellationToken cancellationToken);

    /// <summary>Every store that has at least one complete file (the migration command's check, an operator's listing).</summary>
    Task<IReadOnlyList<string>> ListStoresAsync(CancellationToken cancellationToken);
}
