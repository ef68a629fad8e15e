using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>
/// The object backend could not be reached or failed (<see cref="EngineError.BackendUnavailable"/>): the request is
/// answered 503 and nothing is recorded; a retry may succeed. The message names the backend and what failed.
/// </summary>
public sealed class ObjectBackendException : EngineException
{
    public ObjectBackendException(string message)
        : base(EngineError.BackendUnavailable, message)
    {
    }

    public ObjectBackendException(string message, Exception? innerException)
        : base(EngineError.BackendUnavailable, message, innerException)
    {
    }
}
