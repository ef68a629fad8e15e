namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// The other side of an agent connection broke the protocol (a wrong hash, an unwanted object, an oversized frame, a
/// tree naming objects never sent, an unsafe name) or failed: the command stops and nothing is recorded.
/// </summary>
public sealed class RemoteProtocolException : Exception
{
    public RemoteProtocolException(string message) : base(message)
    {
    }

    public RemoteProtocolException(string message, Exception inner) : base(message, inner)
    {
    }

    public RemoteProtocolException()
    {
    }

    /// <summary>The engine error the other side reported (its <see cref="EngineError"/> name), if it reported one.</summary>
    public string? Code { get; init; }

    /// <summary>Whether the other side reported the failure itself (a <see cref="FrameKind.Failed"/> frame): the connection is still in step.</summary>
    public bool Reported { get; init; }
}
