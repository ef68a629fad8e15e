using System.Buffers;
using Amazon.S3;
using Amazon.S3.Model;

namespace AgentSnapshots.ObjectStorage.S3;

/// <summary>
/// One atomic upload of a file of known length from a forward-only stream, in bounded memory: a single PutObject when
/// it fits one part, otherwise a multipart upload, which S3 shows as an object only once completed (an interrupted one
/// stays invisible until <see cref="S3ObjectBackend.RemoveInterruptedAsync"/> aborts it). Each part is buffered whole
/// because S3-compatible servers such as Swift 2.30 refuse the SDK's aws-chunked streaming: the body is signed as one.
/// </summary>
internal static class S3Upload
{
    /// <summary>The part size, and the most a put buffers, for files up to <see cref="MaxParts"/> of them.</summary>
    public const int PartSize = 8 * 1024 * 1024;

    /// <summary>Swift's s3api allows 1,000 parts by default (AWS 10,000): bigger files get bigger parts.</summary>
    public const int MaxParts = 1000;

    public static async Task PutAsync(IAmazonS3 client, string bucket, string key, Stream content, long length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var partSize = (int)Math.Min(Array.MaxLength, Math.Max(PartSize, (length + MaxParts - 1) / MaxParts));
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(partSize, Math.Max(length, 1)));
        try
        {
            if (length <= partSize)
            {
                await FillAsync(content, buffer, (int)length, cancellationToken);
                using var body = new MemoryStream(buffer, 0, (int)length, writable: false);
                await client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = bucket,
                    Key = key,
                    InputStream = body,
                    AutoCloseStream = false,
                    UseChunkEncoding = false,
                }, cancellationToken);
                return;
            }

            await PutInPartsAsync(client, bucket, key, content, length, buffer, partSize, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task PutInPartsAsync(
        IAmazonS3 client, string bucket, string key, Stream content, long length, byte[] buffer, int partSize, CancellationToken cancellationToken)
    {
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            for (var (number, offset) = (1, 0L); offset < length; number++, offset += partSize)
            {
                var size = (int)Math.Min(partSize, length - offset);
                await FillAsync(content, buffer, size, cancellationToken);
                using var body = new MemoryStream(buffer, 0, size, writable: false);
                var part = await client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = number,
                    InputStream = body,
                    PartSize = size,
                    UseChunkEncoding = false,
                }, cancellationToken);
                parts.Add(new PartETag(number, part.ETag));
            }

            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            await AbortQuietlyAsync(client, bucket, key, upload.UploadId);
            throw;
        }
    }

    private static async Task FillAsync(Stream content, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        var read = await content.ReadAtLeastAsync(buffer.AsMemory(0, count), count, throwOnEndOfStream: false, cancellationToken);
        if (read < count)
        {
            throw new EndOfStreamException($"The content to put ended {count - read} bytes before the length it was given.");
        }
    }

    private static async Task AbortQuietlyAsync(IAmazonS3 client, string bucket, string key, string uploadId)
    {
        try
        {
            // Not the caller's token: a cancelled put still cleans up what it can.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, timeout.Token);
        }
#pragma warning disable CA1031 // Best effort: the upload's failure is what the caller hears; collection aborts what is left.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
