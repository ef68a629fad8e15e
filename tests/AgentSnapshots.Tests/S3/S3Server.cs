using Amazon.Runtime;
using Amazon.S3;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.S3;

/// <summary>
/// The S3-compatible server of the S3 tests (<see cref="ThrowawaySwift"/>: Swift with its s3api middleware, started
/// from the installed Debian packages). Missing packages fail the tests with a clear message: they are never skipped.
/// </summary>
public sealed class S3Server : IAsyncLifetime
{
    private int _bucketCounter;

    public ThrowawaySwift Swift { get; } = new();

    public async ValueTask InitializeAsync() => await Swift.StartAsync();

    /// <summary>
    /// A client for the server as the tests' own second reader: path-style addressing, and checksums only where S3
    /// requires them (recent SDKs add CRC checksums to every request by default, which Swift 2.30 refuses).
    /// </summary>
    public AmazonS3Client CreateClient() =>
        new(new BasicAWSCredentials(ThrowawaySwift.AccessKey, ThrowawaySwift.SecretKey), new AmazonS3Config
        {
            ServiceURL = Swift.ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 1,
        });

    /// <summary>Creates a fresh, empty bucket and returns its name.</summary>
    public async Task<string> CreateBucketAsync(string prefix)
    {
        var name = $"{prefix}-{Environment.ProcessId}-{Interlocked.Increment(ref _bucketCounter)}";
        using var client = CreateClient();
        await client.PutBucketAsync(name);
        return name;
    }

    public ValueTask DisposeAsync() => Swift.DisposeAsync();
}

/// <summary>
/// One Swift server for every test in the "S3" collection, and a PostgreSQL server for those that run silos in
/// cluster mode (what is kept is recorded there, whatever the object backend).
/// </summary>
[CollectionDefinition(Name)]
public sealed class S3CollectionDefinition : ICollectionFixture<S3Server>, ICollectionFixture<PostgresServer>
{
    public const string Name = "S3";
}
