using System.Globalization;
using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// An object of the store is missing or damaged: a failure of the store (changed or damaged behind the service's
/// back), never of the request. Readers that know which snapshot and path needed the object say so with
/// <see cref="NeededBy"/>, so the one-line message names the object, what needed it and the store.
/// </summary>
public abstract class StoreObjectException : EngineException
{
    private protected StoreObjectException(EngineError error, GitObjectId id, string message, Exception? innerException)
        : base(error, message, innerException) => Id = id;

    public GitObjectId Id { get; }

    /// <summary>The same error, saying what needed the object (a snapshot, a path, what to do next).</summary>
    public abstract StoreObjectException NeededBy(string store, string neededBy);
}

/// <summary>An object a snapshot needs is not in the store.</summary>
public sealed class MissingObjectException : StoreObjectException
{
    public MissingObjectException(GitObjectId id, string store)
        : base(EngineError.MissingObject, id, $"Object {id} is not in the object store {store}.", null)
    {
    }

    /// <summary>The same, saying which snapshot (and path) needed the object.</summary>
    public MissingObjectException(GitObjectId id, string store, string neededBy, Exception? innerException = null)
        : base(EngineError.MissingObject, id, $"Object {id} ({neededBy}) is not in the object store {store}.", innerException)
    {
    }

    public override MissingObjectException NeededBy(string store, string neededBy) => new(Id, store, neededBy, this);
}

/// <summary>An object in the store cannot be read as what it claims to be.</summary>
public sealed class CorruptObjectException : StoreObjectException
{
    public CorruptObjectException(GitObjectId id, string store, string why, Exception? innerException = null)
        : base(EngineError.CorruptObject, id, $"Object {id} in the object store {store} is corrupt: {why}.", innerException) => Why = why;

    /// <summary>What is wrong with the object.</summary>
    public string Why { get; }

    public override CorruptObjectException NeededBy(string store, string neededBy) => new(Id, store, $"{Why} ({neededBy})", this);
}

/// <summary>The source held a different number of bytes than announced: the file changed while it was read.</summary>
public sealed class ContentLengthChangedException(long expected, long actual)
    : IOException($"Expected {expected} bytes but the content had {(actual > expected ? "more" : actual.ToString(CultureInfo.InvariantCulture))}.")
{
    public long Expected { get; } = expected;
}
