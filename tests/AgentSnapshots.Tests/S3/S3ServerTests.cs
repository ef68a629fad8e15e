using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace AgentSnapshots.Tests.S3;

/// <summary>
/// The throwaway Swift server speaks the S3 the backend relies on, through the AWS SDK: buckets, whole-object puts,
/// ranged gets, listings by prefix, deletes, multipart uploads. Swift 2.30 refuses aws-chunked bodies (the SDK's
/// default for streamed uploads), so every upload here signs its whole body (<c>UseChunkEncoding = false</c>).
/// </summary>
[Collection(S3CollectionDefinition.Name)]
public sealed class S3ServerTests(S3Server server)
{
    [Fact]
    public async Task Put_ranged_get_list_and_delete_round_trip()
    {
        var bucket = await server.CreateBucketAsync("roundtrip");
        using var client = server.CreateClient();
        var content = Encoding.ASCII.GetBytes("0123456789abcdefghij");

        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "store/a.pack", InputStream = new MemoryStream(content), UseChunkEncoding = false });
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "store/b.idx", ContentBody = "index", UseChunkEncoding = false });
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "other/c.pack", ContentBody = "other", UseChunkEncoding = false });

        using (var ranged = await client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "store/a.pack", ByteRange = new ByteRange(5, 9) }))
        {
            using var reader = new StreamReader(ranged.ResponseStream);
            Assert.Equal("56789", await reader.ReadToEndAsync());
            Assert.Equal(HttpStatusCode.PartialContent, ranged.HttpStatusCode);
        }

        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "store/" });
        Assert.Equal(["store/a.pack", "store/b.idx"], listed.S3Objects.Select(o => o.Key).Order());
        Assert.Equal(content.Length, listed.S3Objects.Single(o => o.Key == "store/a.pack").Size);

        var stores = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/" });
        Assert.Equal(["other/", "store/"], stores.CommonPrefixes.Order());

        await client.DeleteObjectAsync(bucket, "store/a.pack");
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.GetObjectMetadataAsync(bucket, "store/a.pack"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var after = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "store/" });
        Assert.Equal(["store/b.idx"], after.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task A_multipart_upload_is_one_object_once_completed_and_nothing_before()
    {
        var bucket = await server.CreateBucketAsync("multipart");
        using var client = server.CreateClient();
        const int partSize = 5 * 1024 * 1024; // S3's (and s3api's) smallest part but the last
        var content = new byte[partSize + 1000];
        new Random(7).NextBytes(content);

        var upload = await client.InitiateMultipartUploadAsync(bucket, "store/big.pack");
        var etags = new List<PartETag>();
        for (var (part, offset) = (1, 0); offset < content.Length; part++, offset += partSize)
        {
            var length = Math.Min(partSize, content.Length - offset);
            var response = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = "store/big.pack", UploadId = upload.UploadId, PartNumber = part,
                InputStream = new MemoryStream(content, offset, length), PartSize = length, UseChunkEncoding = false,
            });
            etags.Add(new PartETag(part, response.ETag));
        }

        var inFlight = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "store/" });
        Assert.Empty(inFlight.S3Objects ?? []);

        await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "store/big.pack", UploadId = upload.UploadId, PartETags = etags,
        });

        var metadata = await client.GetObjectMetadataAsync(bucket, "store/big.pack");
        Assert.Equal(content.Length, metadata.ContentLength);
        using var tail = await client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = "store/big.pack", ByteRange = new ByteRange(partSize - 10, partSize + 9),
        });
        var read = new byte[20];
        await tail.ResponseStream.ReadExactlyAsync(read);
        Assert.Equal(content.AsSpan(partSize - 10, 20).ToArray(), read);
    }
}
