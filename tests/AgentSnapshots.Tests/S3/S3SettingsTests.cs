using AgentSnapshots.Engine;
using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Tests.S3;

/// <summary><c>Snapshots:ObjectStore</c> = s3 as the silo reads it: missing or bad <c>Snapshots:S3</c> settings, or no cluster database, stop the silo with a message that says what to set.</summary>
public sealed class S3SettingsTests : IDisposable
{
    private const string Postgres = "Host=127.0.0.1;Port=5432;Database=unused;Username=unused";

    private readonly TempDirectory _temp = new("as-s3-settings");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(null, "http://127.0.0.1:9000", "b", "Snapshots:ObjectStore is 's3' but ConnectionStrings:Postgres is not set")]
    [InlineData(Postgres, "http://127.0.0.1:9000", "", "Snapshots:S3:Bucket is required")]
    [InlineData(Postgres, "127.0.0.1:9000", "b", "Snapshots:S3:ServiceUrl '127.0.0.1:9000' is not an http:// or https:// address")]
    public void Bad_s3_settings_are_refused_saying_what_to_set(string? postgres, string serviceUrl, string bucket, string named)
    {
        using var host = Build(postgres, serviceUrl, bucket);
        var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<SnapshotsOptions>>().Value);
        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Complete_s3_settings_in_cluster_mode_are_accepted()
    {
        using var host = Build(Postgres, "http://127.0.0.1:9000", "packs");
        Assert.Equal("s3", host.Services.GetRequiredService<IOptions<SnapshotsOptions>>().Value.ObjectStore);
    }

    private IHost Build(string? postgres, string serviceUrl, string bucket)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Snapshots:DataDir"] = _temp.Combine("data"),
            ["Snapshots:WorkspaceRoots:0"] = _temp.Path,
            ["ConnectionStrings:Postgres"] = postgres,
            ["Snapshots:ObjectStore"] = "s3",
            ["Snapshots:S3:ServiceUrl"] = serviceUrl,
            ["Snapshots:S3:Bucket"] = bucket,
        });
        builder.AddAgentSnapshotsServices();
        return builder.Build();
    }
}
