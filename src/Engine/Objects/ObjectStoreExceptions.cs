using System.Globalization;

namespace AgentSnapshots.Engine;

/// <summary>An object a snapshot needs is not in the store.</summary>
public sealed class MissingObjectException : EngineException
{
    public MissingObjectException(GitObjectId id, string store)
        : base(EngineError.MissingObject, $"Object {id} is not in the object store {store}.") => Id = id;

    /// <summary>The same, saying which snapshot (and path) needed the object.</summary>
    public MissingObjectException(GitObjectId id, string store, string neededBy, Exception? innerException = null)
        : base(EngineError.MissingObject, $"Object {id} ({neededBy}) is not in the object store {store}.", innerException) => Id = id;

    public GitObjectId Id { get; }

    /// <summary>The same error, saying what needed the object (a snapshot, a path).</summary>
    public MissingObjectException NeededBy(string store, string neededBy) => new(Id, store, neededBy, this);
}

/// <summary>An object in the store cannot be read as what it claims to be.</summary>
public sealed class CorruptObjectException : EngineException
{
    public CorruptObjectException(GitObjectId id, string store, string why, Exception? innerException = null)
        : base(EngineError.CorruptObject, $"Object {id} in the object store {store} is corrupt: {why}.", innerException)
    {
        Id = id;
        Why = why;
    }

    public GitObjectId Id { get; }

    /// <summary>What is wrong with the object.</summary>
    public string Why { get; }

    /// <summary>The same error, saying what needed the object (a snapshot, a path).</summary>
    public CorruptObjectException NeededBy(string store, string neededBy) => new(Id, store, $"{Why} ({neededBy})", this);
}

/// <summary>The source held a different number of bytes than announced: the file changed while it was read.</summary>
public sealed class ContentLengthChangedException(long expected, long actual)
    : IOException($"Expected {expected} bytes but the content had {(actual > expected ? "more" : actual.ToString(CultureInfo.InvariantCulture))}.")
{
    public long Expected { get; } = expected;
}
