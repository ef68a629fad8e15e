using System.Buffers;
using AgentSnapshots.Engine.Objects.Backends;
using Npgsql;
using NpgsqlTypes;

namespace AgentSnapshots.ObjectStorage.PostgreSql;

/// <summary>
/// Object stores in the cluster's PostgreSQL database (<c>Snapshots:ObjectStore</c> = <c>postgres</c>), in the tables
/// of <c>Sql/PostgreSQL/0004-object-packs.sql</c>: a file is chunks of <see cref="ChunkBytes"/> (bytea, no large
/// objects) written under an upload id, and named in the transaction of its last chunk, so it is visible only whole.
/// Reads fetch only the chunks a range covers. Every store is scoped by the cluster's service id.
/// </summary>
public sealed class PostgresObjectBackend : IObjectBackend, IAsyncDisposable
{
    /// <summary>One chunk row: the same unit the silo's cache fetches, so a cold read of a chunk is one row.</summary>
    public const int ChunkBytes = 1 << 20;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _serviceId;

    public PostgresObjectBackend(string connectionString, string serviceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _serviceId = serviceId;
    }

    public string Name => ObjectStoreKinds.Postgres;

    public async Task PutAsync(string store, string name, Stream content, long length, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        await Guard("store " + name, async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var upload = Guid.NewGuid();
            var chunks = (int)Math.Max(1, (length + ChunkBytes - 1) / ChunkBytes);
            // A file of one chunk (a track's pack and index, most often) goes in one round trip: its chunk and its
            // name in one batch, which runs as one transaction, so nothing of it can be left torn to record.
            if (chunks > 1)
            {
                await using var begin = new NpgsqlCommand("INSERT INTO snapshots_object_upload (upload_id, service_id, store_id, name) VALUES (@u, @s, @st, @n)", connection);
                AddKeys(begin.Parameters, store, name);
                begin.Parameters.AddWithValue("u", upload);
                await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                long total = 0;
                for (var seq = 0; seq < chunks; seq++)
                {
                    var want = (int)Math.Min(ChunkBytes, length - total);
                    await content.ReadExactlyAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                    total += want;
                    await using var batch = new NpgsqlBatch(connection);
                    AddChunk(batch, upload, seq, new ArraySegment<byte>(buffer, 0, want));
                    if (seq == chunks - 1)
                    {
                        AddNaming(batch, store, name, upload, length);
                        if (chunks > 1)
                        {
                            var end = new NpgsqlBatchCommand("DELETE FROM snapshots_object_upload WHERE upload_id = @u");
                            end.Parameters.AddWithValue("u", upload);
                            batch.BatchCommands.Add(end);
                        }
                    }
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return 0;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// A pack and its index of one chunk each (a track's) in one round trip: one batch, which runs as one transaction,
    /// so the index is never listed without its pack. Larger ones go as two puts, the pack first.
    /// </summary>
    public async Task PutPackAsync(string store, string packName, Stream pack, long packLength, string indexName, Stream index, long indexLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(index);
        if (packLength > ChunkBytes || indexLength > ChunkBytes)
        {
            await PutAsync(store, packName, pack, packLength, cancellationToken).ConfigureAwait(false);
            await PutAsync(store, indexName, index, indexLength, cancellationToken).ConfigureAwait(false);
            return;
        }
        await Guard("store " + packName, async () =>
        {
            var packBytes = new byte[packLength];
            var indexBytes = new byte[indexLength];
            await pack.ReadExactlyAsync(packBytes, cancellationToken).ConfigureAwait(false);
            await index.ReadExactlyAsync(indexBytes, cancellationToken).ConfigureAwait(false);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection);
            foreach (var (name, bytes) in new[] { (packName, packBytes), (indexName, indexBytes) })
            {
                var upload = Guid.NewGuid();
                AddChunk(batch, upload, 0, bytes);
                AddNaming(batch, store, name, upload, bytes.Length);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }).ConfigureAwait(false);
    }

    private static void AddChunk(NpgsqlBatch batch, Guid upload, int seq, ArraySegment<byte> data)
    {
        var chunk = new NpgsqlBatchCommand("INSERT INTO snapshots_object_chunk (upload_id, seq, data) VALUES (@u, @q, @d)");
        chunk.Parameters.AddWithValue("u", upload);
        chunk.Parameters.AddWithValue("q", seq);
        chunk.Parameters.Add(new NpgsqlParameter("d", NpgsqlDbType.Bytea) { Value = data });
        batch.BatchCommands.Add(chunk);
    }

    /// <summary>
    /// Names the file with its last chunk. The same name stored already (a retried put) is the same content: that one
    /// stays and this upload's chunks go.
    /// </summary>
    private void AddNaming(NpgsqlBatch batch, string store, string name, Guid upload, long length)
    {
        var named = new NpgsqlBatchCommand(
            """
            WITH named AS (
                INSERT INTO snapshots_object_file (service_id, store_id, name, upload_id, length, chunk_bytes)
                VALUES (@s, @st, @n, @u, @l, @c)
                ON CONFLICT (service_id, store_id, name) DO NOTHING
                RETURNING 1)
            DELETE FROM snapshots_object_chunk WHERE upload_id = @u AND NOT EXISTS (SELECT 1 FROM named)
            """);
        AddKeys(named.Parameters, store, name);
        named.Parameters.AddWithValue("u", upload);
        named.Parameters.AddWithValue("l", length);
        named.Parameters.AddWithValue("c", ChunkBytes);
        batch.BatchCommands.Add(named);
    }

    public Task<long?> LengthAsync(string store, string name, CancellationToken cancellationToken) =>
        Guard("read the length of " + name, async () =>
        {
            await using var command = _dataSource.CreateCommand("SELECT length FROM snapshots_object_file WHERE service_id = @s AND store_id = @st AND name = @n");
            AddKeys(command.Parameters, store, name);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long length ? length : (long?)null;
        });

    public Task<int> ReadAsync(string store, string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        Guard("read " + name, async () =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            // The file's row and the chunks the range covers, in one round trip; chunk bytes are cut to the range.
            await using var command = _dataSource.CreateCommand(
                """
                SELECT f.length, f.chunk_bytes, c.seq, c.data
                FROM snapshots_object_file f
                LEFT JOIN snapshots_object_chunk c
                  ON c.upload_id = f.upload_id AND c.seq BETWEEN (@o / f.chunk_bytes) AND ((@o + @w - 1) / f.chunk_bytes)
                WHERE f.service_id = @s AND f.store_id = @st AND f.name = @n
                ORDER BY c.seq
                """);
            AddKeys(command.Parameters, store, name);
            command.Parameters.AddWithValue("o", offset);
            command.Parameters.AddWithValue("w", (long)Math.Max(1, buffer.Length));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var found = false;
            var read = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found = true;
                var length = reader.GetInt64(0);
                if (reader.IsDBNull(2) || offset >= length) continue;
                long chunkBytes = reader.GetInt32(1);
                var chunkStart = reader.GetInt32(2) * chunkBytes;
                var data = (byte[])reader.GetValue(3);
                var from = offset + read - chunkStart;
                if (from < 0 || from >= data.Length) continue;
                var n = (int)Math.Min(data.Length - from, buffer.Length - read);
                data.AsSpan((int)from, n).CopyTo(buffer.Span[read..]);
                read += n;
            }
            if (!found) throw new FileNotFoundException($"The postgres object store has no {name} in store {store}.");
            return read;
        });

    public Task<IReadOnlyList<BackendFile>> ListAsync(string store, CancellationToken cancellationToken) =>
        Guard("list store " + store, async () =>
        {
            await using var command = _dataSource.CreateCommand("SELECT name, length FROM snapshots_object_file WHERE service_id = @s AND store_id = @st");
            command.Parameters.AddWithValue("s", _serviceId);
            command.Parameters.AddWithValue("st", store);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var files = new List<BackendFile>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                files.Add(new BackendFile(reader.GetString(0), reader.GetInt64(1)));
            }
            return (IReadOnlyList<BackendFile>)files;
        });

    public Task DeleteAsync(string store, string name, CancellationToken cancellationToken) =>
        Guard("delete " + name, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                WITH gone AS (
                    DELETE FROM snapshots_object_file WHERE service_id = @s AND store_id = @st AND name = @n RETURNING upload_id)
                DELETE FROM snapshots_object_chunk WHERE upload_id IN (SELECT upload_id FROM gone)
                """);
            AddKeys(command.Parameters, store, name);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        });

    public Task<int> RemoveInterruptedAsync(string store, TimeSpan olderThan, CancellationToken cancellationToken) =>
        Guard("remove interrupted uploads of store " + store, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                WITH torn AS (
                    DELETE FROM snapshots_object_upload
                    WHERE service_id = @s AND store_id = @st AND started_at < now() - @age
                    RETURNING upload_id),
                chunks AS (
                    DELETE FROM snapshots_object_chunk WHERE upload_id IN (SELECT upload_id FROM torn))
                SELECT count(*) FROM torn
                """);
            command.Parameters.AddWithValue("s", _serviceId);
            command.Parameters.AddWithValue("st", store);
            command.Parameters.AddWithValue("age", olderThan);
            return (int)(long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        });

    public Task<IReadOnlyList<string>> ListStoresAsync(CancellationToken cancellationToken) =>
        Guard("list stores", async () =>
        {
            await using var command = _dataSource.CreateCommand("SELECT DISTINCT store_id FROM snapshots_object_file WHERE service_id = @s ORDER BY store_id");
            command.Parameters.AddWithValue("s", _serviceId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var stores = new List<string>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                stores.Add(reader.GetString(0));
            }
            return (IReadOnlyList<string>)stores;
        });

    /// <summary>Whether the database has the object tables (a silo creates them when it first starts on it).</summary>
    public Task<bool> HasSchemaAsync(CancellationToken cancellationToken) =>
        Guard("read the schema", async () =>
        {
            await using var command = _dataSource.CreateCommand("SELECT to_regclass('snapshots_object_file') IS NOT NULL AND to_regclass('snapshots_object_chunk') IS NOT NULL");
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        });

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private void AddKeys(NpgsqlParameterCollection parameters, string store, string name)
    {
        parameters.AddWithValue("s", _serviceId);
        parameters.AddWithValue("st", store);
        parameters.AddWithValue("n", name);
    }

    /// <summary>Runs a database call; a failure of the database or the connection becomes <see cref="ObjectBackendException"/> (the connection string, with its password, is never in the message).</summary>
    private static async Task<T> Guard<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw new ObjectBackendException($"The postgres object store could not {what}: {e.Message.TrimEnd('.')}. Nothing was recorded; retry once the database is reachable.", e);
        }
        catch (TimeoutException e)
        {
            throw new ObjectBackendException($"The postgres object store could not {what}: it did not answer in time. Nothing was recorded; retry once the database is reachable.", e);
        }
    }
}
