using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// Turns the engine's exceptions into the wire's coded ones at every grain call, so no engine type has to cross a
/// grain boundary (it has no codec) and every caller sees a code and one clear line.
/// </summary>
internal sealed class EngineErrorFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (EngineException e)
        {
            throw e.ToWire();
        }
        catch (InvalidDataException e)
        {
            // zlib and stream reads of a damaged object.
            throw new SnapshotServiceException(ServiceError.CorruptObject, $"An object store holds a corrupt object: {e.Message}");
        }
    }
}
