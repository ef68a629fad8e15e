using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AgentSnapshots.Tests.Service;

/// <summary><c>Orleans:CollectionAge</c>: how long an idle session or workspace stays active, as the silo's hosting code reads it.</summary>
public sealed class CollectionAgeSettingsTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-collection-age");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Orleans_CollectionAge_sets_the_idle_age_after_which_grains_deactivate()
    {
        using var host = Build("00:03:00");
        Assert.Equal(TimeSpan.FromMinutes(3), host.Services.GetRequiredService<IOptions<GrainCollectionOptions>>().Value.CollectionAge);
    }

    [Theory]
    [InlineData("00:00:30")]
    [InlineData("-00:05:00")]
    public void A_collection_age_under_two_minutes_is_refused_naming_it(string value)
    {
        using var host = Build(value);
        var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<OrleansSettings>>().Value);
        Assert.Contains("CollectionAge", refused.Message, StringComparison.Ordinal);
    }

    private IHost Build(string collectionAge)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Snapshots:DataDir"] = _temp.Combine("data"),
            ["Snapshots:WorkspaceRoots:0"] = _temp.Path,
            ["Orleans:CollectionAge"] = collectionAge,
        });
        builder.AddAgentSnapshotsSilo();
        return builder.Build();
    }
}
