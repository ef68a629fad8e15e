using System.Buffers;

namespace AgentSnapshots.Engine.Diff;

/// <summary>
/// A growable list of line hashes whose arrays are rented from <see cref="ArrayPool{T}.Shared"/> and returned on
/// <see cref="Dispose"/> (and on growth). A big file's diff holds megabytes of these (kept hashes, filter hits);
/// as plain lists their arrays were large-object garbage that stayed resident until a full collection, so a second
/// diff right after a first (a step's stats, then the agent's own diff of the same pair) stacked its memory on the
/// first's. Rented, the second diff reuses the first's arrays.
/// </summary>
internal sealed class HashBuffer : IDisposable
{
    private const int FirstCapacity = 1024;
    private ulong[] _items = [];

    public int Count { get; private set; }

    public ulong this[int index] => _items[index];

    /// <summary>The hashes added so far; valid until the next <see cref="Add"/> or <see cref="Dispose"/>.</summary>
    public Span<ulong> Span => _items.AsSpan(0, Count);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Add(ulong hash)
    {
        if (Count == _items.Length) Grow();
        _items[Count++] = hash;
    }

    public void AddRange(ReadOnlySpan<ulong> hashes)
    {
        while (_items.Length - Count < hashes.Length) Grow();
        hashes.CopyTo(_items.AsSpan(Count));
        Count += hashes.Length;
    }

    public void Sort() => Span.Sort();

    private void Grow()
    {
        var larger = ArrayPool<ulong>.Shared.Rent(Math.Max(FirstCapacity, _items.Length * 2));
        _items.AsSpan(0, Count).CopyTo(larger);
        Release();
        _items = larger;
    }

    private void Release()
    {
        if (_items.Length > 0) ArrayPool<ulong>.Shared.Return(_items);
        _items = [];
    }

    public void Dispose()
    {
        Release();
        Count = 0;
    }
}
