namespace AgentSnapshots.Tests.Http;

/// <summary>The HTTP test classes that share one keyless silo process (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class HttpSiloCollectionDefinition : ICollectionFixture<HttpSiloFixture>
{
    public const string Name = "http-silo";
}
