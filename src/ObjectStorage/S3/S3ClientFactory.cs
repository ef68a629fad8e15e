using Amazon.Runtime;
using Amazon.S3;

namespace AgentSnapshots.ObjectStorage.S3;

/// <summary>The AWS SDK client the <c>s3</c> backend talks through, set up for AWS S3 and S3-compatible servers alike.</summary>
internal static class S3ClientFactory
{
    /// <summary>
    /// A client with the credentials of the standard AWS sources (the SDK's default chain: environment, profile, web
    /// identity, container or instance role), or <paramref name="credentials"/> when given (the tests' own keys).
    /// </summary>
    public static AmazonS3Client Create(S3Options options, AWSCredentials? credentials = null)
    {
        var config = new AmazonS3Config
        {
            // Recent SDKs add CRC checksums to every request and check them on every response by default; several
            // S3-compatible servers (Swift's s3api among them) refuse or lack them. Only where S3 requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // A backend that is down fails the track with 503 soon rather than after a long back-off; a retry of the
            // track is the caller's.
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (!string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            // S3-compatible servers rarely serve virtual-host buckets (bucket.host): address buckets by path.
            config.ForcePathStyle = true;
        }

        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
