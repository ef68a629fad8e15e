using System.Net;
using Amazon.Runtime;
using Amazon.S3.Model;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage.S3;
using AgentSnapshots.Tests.ObjectStorage;

namespace AgentSnapshots.Tests.S3;

/// <summary>
/// The object backends' contract on the <c>s3</c> backend against a real S3-compatible server (Swift's s3api), each
/// test in its own key prefix of one bucket; and what is S3's own: the key layout under the prefix, the bucket made on
/// first use, a crashed silo's unfinished multipart upload invisible and aborted by collection once old enough.
/// </summary>
[Collection(S3CollectionDefinition.Name)]
public sealed class S3ObjectBackendTests(S3Server server) : ObjectBackendContractTests
{
    private static readonly string Bucket = $"contract-{Environment.ProcessId}";
    private readonly string _prefix = $"tests/{Guid.NewGuid():N}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override Task<IObjectBackend> CreateBackendAsync() =>
        Task.FromResult<IObjectBackend>(Create(new S3Options { ServiceUrl = server.Swift.ServiceUrl, Bucket = Bucket, Prefix = _prefix }));

    protected override IObjectBackend CreateUnreachableBackend() =>
        Create(new S3Options { ServiceUrl = $"http://127.0.0.1:{LoopbackPort.Free()}", Bucket = Bucket, Prefix = _prefix });

    [Fact]
    public async Task Files_are_objects_under_the_prefix_and_store_and_the_bucket_is_made_on_first_use()
    {
        var bucket = $"fresh-{Guid.NewGuid():N}"[..30];
        using var backend = Create(new S3Options { ServiceUrl = server.Swift.ServiceUrl, Bucket = bucket, Prefix = "deployment/one/" });
        var store = NewStore();

        await backend.PutAsync(store, "pack-1.pack", new MemoryStream([1, 2, 3]), 3, Ct);

        using var client = server.CreateClient();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }, Ct);
        Assert.Equal([$"deployment/one/{store}/pack-1.pack"], listed.S3Objects.Select(o => o.Key));
        Assert.Equal([store], await backend.ListStoresAsync(Ct));
    }

    [Fact]
    public async Task A_crashed_silos_unfinished_upload_is_invisible_and_collection_aborts_it_once_old_enough()
    {
        var store = NewStore();
        await PutTextAsync(store, "pack-1.pack", "kept");
        using var client = server.CreateClient();
        // What a silo killed between parts leaves: an initiated multipart upload with one part.
        var key = $"{_prefix}/{store}/pack-torn.pack";
        var upload = await client.InitiateMultipartUploadAsync(Bucket, key, Ct);
        await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = Bucket, Key = key, UploadId = upload.UploadId, PartNumber = 1,
            InputStream = new MemoryStream(new byte[5 * 1024 * 1024]), UseChunkEncoding = false,
        }, Ct);

        Assert.Equal([new BackendFile("pack-1.pack", 4)], await Backend.ListAsync(store, Ct));
        Assert.Null(await Backend.LengthAsync(store, "pack-torn.pack", Ct));

        // An upload younger than the grace period may still be in flight: kept.
        Assert.Equal(0, await Backend.RemoveInterruptedAsync(store, TimeSpan.FromHours(1), Ct));
        Assert.Single((await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = key }, Ct)).MultipartUploads ?? []);

        // Swift reports an upload's start rounded up to the next second.
        await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);
        Assert.Equal(1, await Backend.RemoveInterruptedAsync(store, TimeSpan.Zero, Ct));
        Assert.Empty((await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = key }, Ct)).MultipartUploads ?? []);
        var parts = await Assert.ThrowsAsync<Amazon.S3.AmazonS3Exception>(() =>
            client.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId }, Ct));
        Assert.Equal(HttpStatusCode.NotFound, parts.StatusCode);
        Assert.Equal([new BackendFile("pack-1.pack", 4)], await Backend.ListAsync(store, Ct));
    }

    [Fact]
    public void Settings_without_a_bucket_or_with_a_bad_endpoint_are_refused_with_what_to_set()
    {
        var noBucket = Assert.Throws<ArgumentException>(() => new S3ObjectBackend(new S3Options { ServiceUrl = server.Swift.ServiceUrl }));
        Assert.Contains("Snapshots:S3:Bucket is required", noBucket.Message, StringComparison.Ordinal);
        var badUrl = Assert.Throws<ArgumentException>(() => new S3ObjectBackend(new S3Options { ServiceUrl = "minio:9000", Bucket = "b" }));
        Assert.Contains("Snapshots:S3:ServiceUrl 'minio:9000' is not an http:// or https:// address", badUrl.Message, StringComparison.Ordinal);
    }

    private static S3ObjectBackend Create(S3Options options) =>
        new(options, new BasicAWSCredentials(ThrowawaySwift.AccessKey, ThrowawaySwift.SecretKey));
}
