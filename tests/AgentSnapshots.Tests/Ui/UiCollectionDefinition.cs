namespace AgentSnapshots.Tests.Ui;

/// <summary>The UI test classes that share one silo process and one browser (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class UiCollectionDefinition : ICollectionFixture<UiSiloFixture>
{
    public const string Name = "ui-silo";
}
