namespace AgentSnapshots.ObjectStorage.S3;

/// <summary>
/// <c>Snapshots:S3</c>: where the <c>s3</c> object backend keeps the workspaces' packs. Credentials are not here: they
/// come from the standard AWS sources (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_PROFILE</c> and
/// the shared credentials file, web identity, the container or instance role), as every AWS tool reads them.
/// </summary>
public sealed class S3Options
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Snapshots:S3";

    /// <summary>
    /// The endpoint of an S3-compatible server (e.g. <c>http://minio:9000</c>), addressed path-style; empty for AWS
    /// S3 itself, whose region then comes from the standard sources (<c>AWS_REGION</c>, the profile).
    /// </summary>
    public string ServiceUrl { get; set; } = "";

    /// <summary>The bucket (required). It is created when it does not exist and the credentials may create it.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>A key prefix under which every store lives (<c>&lt;Prefix&gt;/&lt;workspace id&gt;/&lt;file&gt;</c>), so several deployments can share a bucket; empty for none.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>What is wrong with these settings, each with what to do; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            problems.Add("Snapshots:S3:Bucket is required with Snapshots:ObjectStore=s3: set it to the bucket that keeps the packs.");
        }

        if (!string.IsNullOrWhiteSpace(ServiceUrl)
            && !(Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
        {
            problems.Add($"Snapshots:S3:ServiceUrl '{ServiceUrl}' is not an http:// or https:// address: give the S3-compatible server's endpoint, or leave it empty for AWS S3.");
        }

        if (Prefix.StartsWith('/') || Prefix.Contains("//", StringComparison.Ordinal))
        {
            problems.Add($"Snapshots:S3:Prefix '{Prefix}' must not start with '/' or contain '//': give a key prefix like 'agent-snapshots/prod'.");
        }

        return problems;
    }
}
