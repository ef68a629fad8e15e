using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AgentSnapshots.Engine.Objects.Backends;

namespace AgentSnapshots.ObjectStorage.S3;

/// <summary>
/// The <c>s3</c> object backend: each file of a store is one object, <c>&lt;Prefix&gt;/&lt;store&gt;/&lt;name&gt;</c>, in
/// <see cref="S3Options.Bucket"/> of AWS S3 or an S3-compatible server. Puts are atomic (one PutObject, or a multipart
/// upload that S3 shows only once completed: see <see cref="S3Upload"/>); reads are ranged GETs; listings are by key
/// prefix. Nothing here needs a conditional write (S3's If-Match / If-None-Match on PUT, which Swift 2.30's s3api
/// answers 501): files are immutable and never rewritten under a name, a retried put writes the same bytes, there is
/// one writer per store (its workspace grain), and what is kept is recorded in the cluster's database, not here.
/// </summary>
public sealed class S3ObjectBackend : IObjectBackend, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly S3Keys _keys;
    private readonly S3Failures _failures;
    private readonly SemaphoreSlim _bucketGate = new(1, 1);
    private volatile bool _bucketReady;

    /// <summary>A backend with the credentials of the standard AWS sources.</summary>
    public S3ObjectBackend(S3Options options)
        : this(options, credentials: null)
    {
    }

    /// <summary>A backend with the given credentials (tests), or the standard AWS sources' when null.</summary>
    internal S3ObjectBackend(S3Options options, AWSCredentials? credentials)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(' ', problems), nameof(options));
        }

        _client = S3ClientFactory.Create(options, credentials);
        _bucket = options.Bucket;
        _keys = new S3Keys(options.Prefix);
        _failures = new S3Failures(_bucket, string.IsNullOrWhiteSpace(options.ServiceUrl) ? "AWS S3" : options.ServiceUrl);
    }

    public string Name => ObjectStoreKinds.S3;

    public async Task PutAsync(string store, string name, Stream content, long length, CancellationToken cancellationToken)
    {
        var key = _keys.File(store, name);
        await EnsureBucketAsync(cancellationToken);
        await _failures.GuardAsync($"store {store}/{name}",
            () => S3Upload.PutAsync(_client, _bucket, key, content, length, cancellationToken), cancellationToken);
    }

    public async Task<long?> LengthAsync(string store, string name, CancellationToken cancellationToken)
    {
        var key = _keys.File(store, name);
        await EnsureBucketAsync(cancellationToken);
        return await _failures.GuardAsync<long?>($"look up {store}/{name}", async () =>
        {
            try
            {
                var metadata = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, cancellationToken);
                return metadata.ContentLength;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);
    }

    public async Task<int> ReadAsync(string store, string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var key = _keys.File(store, name);
        if (buffer.IsEmpty)
        {
            return await LengthAsync(store, name, cancellationToken) is null ? throw NotFound(store, name) : 0;
        }

        await EnsureBucketAsync(cancellationToken);
        var read = await _failures.GuardAsync<int?>($"read {store}/{name}", async () =>
        {
            try
            {
                using var response = await _client.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    ByteRange = new ByteRange(offset, offset + buffer.Length - 1),
                }, cancellationToken);
                if (response.HttpStatusCode != HttpStatusCode.PartialContent && offset != 0)
                {
                    throw new AmazonS3Exception($"The server answered a ranged read from {offset} with {(int)response.HttpStatusCode}, not 206 Partial Content.");
                }

                return await response.ResponseStream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The offset is at or past the end of the file.
                return 0;
            }
        }, cancellationToken);
        return read ?? throw NotFound(store, name);
    }

    public async Task<IReadOnlyList<BackendFile>> ListAsync(string store, CancellationToken cancellationToken)
    {
        var prefix = _keys.StorePrefix(store);
        await EnsureBucketAsync(cancellationToken);
        var files = new List<BackendFile>();
        await ListAsync($"list store {store}", prefix, delimiter: null, page =>
        {
            foreach (var item in page.S3Objects ?? [])
            {
                if (S3Keys.FileName(item.Key, prefix) is { } name)
                {
                    files.Add(new BackendFile(name, item.Size ?? 0));
                }
            }
        }, cancellationToken);
        return files;
    }

    public async Task DeleteAsync(string store, string name, CancellationToken cancellationToken)
    {
        var key = _keys.File(store, name);
        await EnsureBucketAsync(cancellationToken);
        await _failures.GuardAsync($"delete {store}/{name}", async () =>
        {
            try
            {
                await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone (S3 itself answers 204 either way; some compatible servers answer 404).
            }
        }, cancellationToken);
    }

    public async Task<int> RemoveInterruptedAsync(string store, TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var prefix = _keys.StorePrefix(store);
        var cutoff = DateTime.UtcNow - olderThan;
        await EnsureBucketAsync(cancellationToken);
        return await _failures.GuardAsync($"clean interrupted uploads of store {store}", async () =>
        {
            var removed = 0;
            string? keyMarker = null;
            string? uploadIdMarker = null;
            while (true)
            {
                var page = await _client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
                {
                    BucketName = _bucket,
                    Prefix = prefix,
                    KeyMarker = keyMarker,
                    UploadIdMarker = uploadIdMarker,
                }, cancellationToken);
                foreach (var upload in page.MultipartUploads ?? [])
                {
                    if (upload.Initiated is { } initiated && initiated.ToUniversalTime() < cutoff && await AbortAsync(upload, cancellationToken))
                    {
                        removed++;
                    }
                }

                if (page.IsTruncated != true)
                {
                    return removed;
                }

                (keyMarker, uploadIdMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
            }
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListStoresAsync(CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        var stores = new List<string>();
        await ListAsync("list stores", _keys.Root, delimiter: "/", page =>
        {
            foreach (var commonPrefix in page.CommonPrefixes ?? [])
            {
                stores.Add(_keys.StoreOf(commonPrefix));
            }
        }, cancellationToken);
        return stores;
    }

    public void Dispose()
    {
        _client.Dispose();
        _bucketGate.Dispose();
    }

    private Task ListAsync(string what, string prefix, string? delimiter, Action<ListObjectsV2Response> onPage, CancellationToken cancellationToken) =>
        _failures.GuardAsync(what, async () =>
        {
            string? token = null;
            do
            {
                var page = await _client.ListObjectsV2Async(new ListObjectsV2Request
                {
                    BucketName = _bucket,
                    Prefix = prefix,
                    Delimiter = delimiter,
                    ContinuationToken = token,
                }, cancellationToken);
                onPage(page);
                token = page.IsTruncated == true ? page.NextContinuationToken : null;
            }
            while (token is not null);
        }, cancellationToken);

    private async Task<bool> AbortAsync(MultipartUpload upload, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Completed or aborted meanwhile (another silo's collection).
            return false;
        }
    }

    /// <summary>Creates the bucket on first use if it does not exist (a second silo doing the same finds it owned).</summary>
    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketReady)
        {
            return;
        }

        await _bucketGate.WaitAsync(cancellationToken);
        try
        {
            if (_bucketReady)
            {
                return;
            }

            await _failures.GuardAsync($"find or create the bucket", async () =>
            {
                try
                {
                    await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = 1 }, cancellationToken);
                }
                catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
                {
                    try
                    {
                        await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, cancellationToken);
                    }
                    catch (AmazonS3Exception raced) when (raced.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
                    {
                    }
                }
            }, cancellationToken);
            _bucketReady = true;
        }
        finally
        {
            _bucketGate.Release();
        }
    }

    private static FileNotFoundException NotFound(string store, string name) =>
        new($"{store}/{name} is not in the s3 object store (a collection may have replaced it).", name);
}
