namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// Reads a packed object whole: follows its chain of delta bases (<c>OFS_DELTA</c> within the pack, <c>REF_DELTA</c>
/// by id, in the pack or anywhere in the store) down to a whole object, then stacks one <see cref="DeltaStream"/> per
/// delta over that object's inflating stream. The walk is iterative, so chain depth costs no stack.
/// </summary>
internal static class DeltaChain
{
    /// <summary>Deeper chains are taken for a cycle (git itself refuses depths over 4095).</summary>
    public const int MaxDepth = 10_000;

    private readonly record struct Level(PackFile Pack, long Offset, PackEntryHeader Header);

    /// <summary>Opens the content of the entry at <paramref name="offset"/> of <paramref name="pack"/>.</summary>
    public static Stream Open(ObjectStore store, PackFile pack, long offset, out GitObjectType type, out long size)
    {
        var levels = Walk(store, pack, offset, out var looseBottom);
        Stream stream;
        int firstDelta;
        if (looseBottom is { } bottomId)
        {
            stream = store.OpenLooseOrThrow(bottomId, out type, out size);
            firstDelta = levels.Count - 1;
        }
        else
        {
            var bottom = levels[^1];
            GitObjectTypes.TryFromPackCode(bottom.Header.TypeCode, out type);
            size = bottom.Header.Size;
            stream = bottom.Pack.OpenInflated(bottom.Offset + bottom.Header.Length);
            firstDelta = levels.Count - 2;
        }
        try
        {
            for (var i = firstDelta; i >= 0; i--)
            {
                var level = levels[i];
                var delta = level.Pack.OpenInflated(level.Offset + level.Header.Length);
                try
                {
                    var baseSize = DeltaFormat.ReadSize(delta);
                    var resultSize = DeltaFormat.ReadSize(delta);
                    if (baseSize != size)
                    {
                        throw new InvalidDataException($"The delta at {level.Offset} of {level.Pack.PackPath} expects a base of {baseSize} bytes, but its base has {size}.");
                    }
                    var reopen = Reopener(store, levels, i + 1, looseBottom);
                    stream = new DeltaStream(delta, new DeltaBase(stream, size, reopen, Path.GetDirectoryName(level.Pack.PackPath)!), resultSize);
                    size = resultSize;
                }
                catch
                {
                    delta.Dispose();
                    throw;
                }
            }
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The entry's type and whole size, from headers only (and the first bytes of its delta, if it is one).</summary>
    public static (GitObjectType Type, long Size) ReadHeader(ObjectStore store, PackFile pack, long offset)
    {
        var levels = Walk(store, pack, offset, out var looseBottom);
        GitObjectType type;
        if (looseBottom is { } bottomId)
        {
            using var loose = store.OpenLooseOrThrow(bottomId, out type, out _);
        }
        else
        {
            GitObjectTypes.TryFromPackCode(levels[^1].Header.TypeCode, out type);
        }
        var top = levels[0];
        if (!top.Header.IsDelta) return (type, top.Header.Size);
        using var delta = top.Pack.OpenInflated(top.Offset + top.Header.Length);
        DeltaFormat.ReadSize(delta);
        return (type, DeltaFormat.ReadSize(delta));
    }

    /// <summary>The chain from the entry down to its whole object (last), or to a delta whose base is a loose object.</summary>
    private static List<Level> Walk(ObjectStore store, PackFile pack, long offset, out GitObjectId? looseBottom)
    {
        var levels = new List<Level>();
        looseBottom = null;
        while (true)
        {
            if (levels.Count > MaxDepth)
            {
                throw new InvalidDataException($"The delta chain at {offset} of {pack.PackPath} is deeper than {MaxDepth} (a cycle?).");
            }
            var header = pack.ReadHeader(offset);
            levels.Add(new Level(pack, offset, header));
            if (header.TypeCode == PackEntryHeader.OfsDelta)
            {
                offset = header.BaseOffset;
            }
            else if (header.TypeCode == PackEntryHeader.RefDelta)
            {
                var position = pack.Index.Find(header.BaseId);
                if (position >= 0)
                {
                    offset = pack.Index.OffsetAt(position);
                }
                else if (store.TryLocate(header.BaseId, out var basePack, out var baseOffset))
                {
                    if (basePack is null)
                    {
                        looseBottom = header.BaseId;
                        return levels;
                    }
                    pack = basePack;
                    offset = baseOffset;
                }
                else
                {
                    throw new InvalidDataException($"the delta base {header.BaseId} is in no pack and not loose");
                }
            }
            else
            {
                return levels;
            }
        }
    }

    private static Func<Stream> Reopener(ObjectStore store, List<Level> levels, int below, GitObjectId? looseBottom)
    {
        if (below < levels.Count)
        {
            var level = levels[below];
            return () => Open(store, level.Pack, level.Offset, out _, out _);
        }
        var id = looseBottom!.Value;
        return () => store.OpenLooseOrThrow(id, out _, out _);
    }
}
