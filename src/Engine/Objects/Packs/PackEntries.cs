namespace AgentSnapshots.Engine.Objects.Packs;

/// <summary>
/// The entries of one pack in file order, each with its extent (up to the next entry), from the index alone: what a
/// collection needs to weigh a pack's unreachable bytes and to copy entries out of it.
/// </summary>
internal sealed class PackEntries
{
    private readonly long[] _offsets;
    private readonly int[] _positions;

    private PackEntries(PackFile pack, long[] offsets, int[] positions)
    {
        Pack = pack;
        _offsets = offsets;
        _positions = positions;
    }

    public PackFile Pack { get; }

    public int Count => _offsets.Length;

    public static PackEntries Read(PackFile pack)
    {
        var count = pack.Index.Count;
        var offsets = new long[count];
        var positions = new int[count];
        for (var i = 0; i < count; i++)
        {
            offsets[i] = pack.Index.OffsetAt(i);
            positions[i] = i;
        }
        Array.Sort(offsets, positions);
        for (var i = 0; i < count; i++)
        {
            if (offsets[i] < PackFile.HeaderBytes || offsets[i] >= pack.EntriesEnd || (i > 0 && offsets[i] == offsets[i - 1]))
            {
                throw new InvalidDataException($"The index of {pack.PackPath} lists an impossible offset {offsets[i]}.");
            }
        }
        return new PackEntries(pack, offsets, positions);
    }

    public long OffsetAt(int i) => _offsets[i];

    /// <summary>The entry's bytes in the pack, header included.</summary>
    public long LengthAt(int i) => (i + 1 < _offsets.Length ? _offsets[i + 1] : Pack.EntriesEnd) - _offsets[i];

    public GitObjectId IdAt(int i) => Pack.Index.IdAt(_positions[i]);

    public uint CrcAt(int i) => Pack.Index.CrcAt(_positions[i]);

    /// <summary>The entry that starts at <paramref name="offset"/>, or -1.</summary>
    public int AtOffset(long offset)
    {
        var i = Array.BinarySearch(_offsets, offset);
        return i >= 0 ? i : -1;
    }

    /// <summary>The entry of <paramref name="id"/>, or -1.</summary>
    public int Of(GitObjectId id)
    {
        var position = Pack.Index.Find(id);
        return position < 0 ? -1 : AtOffset(Pack.Index.OffsetAt(position));
    }
}
