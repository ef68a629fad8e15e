using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using AgentSnapshots.Engine.Objects.Backends;

namespace AgentSnapshots.ObjectStorage.S3;

/// <summary>
/// Turns what the SDK throws when the S3 server is unreachable or refuses a request into the seam's
/// <see cref="ObjectBackendException"/> (answered 503, nothing recorded), naming the bucket, the endpoint and the
/// operation, never a key.
/// </summary>
internal sealed class S3Failures(string bucket, string endpoint)
{
    /// <summary>Runs one S3 operation, translating its backend failures; the caller's cancellation passes through.</summary>
    public async Task<T> GuardAsync<T>(string what, Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation();
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            throw Translate(what, ex);
        }
    }

    /// <inheritdoc cref="GuardAsync{T}"/>
    public Task GuardAsync(string what, Func<Task> operation, CancellationToken cancellationToken) =>
        GuardAsync(what, async () =>
        {
            await operation();
            return true;
        }, cancellationToken);

    /// <summary>The seam's exception for a failed operation.</summary>
    public ObjectBackendException Translate(string what, Exception failure) => failure switch
    {
        AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized } refused => new ObjectBackendException(
            $"{Store} refused to {what}: {(int)refused.StatusCode} {refused.ErrorCode}: {refused.Message.TrimEnd('.')}. Nothing was recorded; " +
            "check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile or role in force) and the bucket's permissions.", failure),
        AmazonS3Exception failed => new ObjectBackendException(
            $"{Store} failed to {what}: {(int)failed.StatusCode} {failed.ErrorCode}: {failed.Message.TrimEnd('.')}. Nothing was recorded; retry shortly.", failure),
        _ => new ObjectBackendException(
            $"{Store} could not be reached to {what}: {failure.Message.TrimEnd('.')}. Nothing was recorded; retry once the S3 server is reachable.", failure),
    };

    private string Store => $"The s3 object store (bucket '{bucket}' at {endpoint})";

    private static bool IsBackendFailure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        AmazonServiceException or AmazonClientException or HttpRequestException or SocketException or TimeoutException => true,
        // The SDK's own request timeout, not the caller's cancellation.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
