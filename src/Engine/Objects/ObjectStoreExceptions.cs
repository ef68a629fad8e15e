using System.Globalization;

namespace AgentSnapshots.Engine;

/// <summary>An object a snapshot needs is not in the store.</summary>
public sealed class MissingObjectException(GitObjectId id, string store)
    : EngineException(EngineError.MissingObject, $"Object {id} is not in the object store {store}.")
{
    public GitObjectId Id { get; } = id;
}

/// <summary>An object in the store cannot be read as what it claims to be.</summary>
public sealed class CorruptObjectException(GitObjectId id, string store, string why)
    : EngineException(EngineError.CorruptObject, $"Object {id} in the object store {store} is corrupt: {why}.")
{
    public GitObjectId Id { get; } = id;
}

/// <summary>The source held a different number of bytes than announced: the file changed while it was read.</summary>
public sealed class ContentLengthChangedException(long expected, long actual)
    : IOException($"Expected {expected} bytes but the content had {(actual > expected ? "more" : actual.ToString(CultureInfo.InvariantCulture))}.")
{
    public long Expected { get; } = expected;
}
