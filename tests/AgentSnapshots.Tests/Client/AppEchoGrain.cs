namespace AgentSnapshots.Tests.Client;

/// <summary>A grain of "the application" in the tests where an application has its own Orleans cluster and client.</summary>
public interface IAppEchoGrain : IGrainWithIntegerKey
{
    Task<string> Echo(string text);
}

public sealed class AppEchoGrain : Grain, IAppEchoGrain
{
    public Task<string> Echo(string text) => Task.FromResult(text);
}
