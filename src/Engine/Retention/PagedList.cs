namespace AgentSnapshots.Engine.Retention;

/// <summary>
/// A list kept as numbered pages of at most <see cref="PageSize"/> items, so that storing it after an append, a
/// removal or an update writes the pages that changed, not the whole list: recording one more snapshot costs one
/// page however long the history. Pages <see cref="FirstPage"/>..<see cref="LastPage"/> hold the items in order;
/// a page may be emptied by removals (it is written empty) and empty pages at the front are given up.
/// The caller persists <see cref="DirtyPages"/> (and the range when <see cref="RangeChanged"/>), then calls
/// <see cref="ClearDirty"/>. Items are compared by reference. Not thread-safe.
/// </summary>
public sealed class PagedList<T>
    where T : class
{
    private readonly SortedDictionary<int, List<T>> _pages = [];
    private readonly Dictionary<T, int> _pageOf = new(ReferenceEqualityComparer.Instance);
    private readonly SortedSet<int> _dirty = [];
    private readonly List<int> _dropped = [];

    /// <summary>Starts with the stored pages (numbers <paramref name="firstPage"/>..<paramref name="lastPage"/>; a missing page is empty).</summary>
    public PagedList(int pageSize, int firstPage, int lastPage, IEnumerable<KeyValuePair<int, List<T>>> pages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentNullException.ThrowIfNull(pages);
        PageSize = pageSize;
        FirstPage = firstPage;
        LastPage = Math.Max(firstPage, lastPage);
        for (var n = FirstPage; n <= LastPage; n++)
        {
            _pages[n] = [];
        }
        foreach (var (number, items) in pages)
        {
            if (number < FirstPage || number > LastPage) continue;
            _pages[number] = [.. items];
            foreach (var item in items)
            {
                _pageOf[item] = number;
            }
        }
    }

    public int PageSize { get; }

    public int FirstPage { get; private set; }

    public int LastPage { get; private set; }

    public int Count => _pageOf.Count;

    /// <summary>The items, oldest (first appended) first.</summary>
    public IEnumerable<T> Items => _pages.Values.SelectMany(p => p);

    /// <summary>The last item, or null when the list is empty.</summary>
    public T? Last => _pages.Values.Reverse().FirstOrDefault(p => p.Count > 0) is { } page ? page[^1] : null;

    /// <summary>Pages to write: their contents changed since <see cref="ClearDirty"/>.</summary>
    public IReadOnlyCollection<int> DirtyPages => _dirty;

    /// <summary>Pages given up (before the new <see cref="FirstPage"/>): their stored records can be cleared.</summary>
    public IReadOnlyList<int> DroppedPages => _dropped;

    /// <summary>The page range changed (a page was opened at the end or given up at the front).</summary>
    public bool RangeChanged { get; private set; }

    public IReadOnlyList<T> Page(int number) => _pages.TryGetValue(number, out var page) ? page : [];

    public bool Contains(T item) => _pageOf.ContainsKey(item);

    /// <summary>Adds <paramref name="item"/> at the end, opening a new page when the last one is full.</summary>
    public void Append(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_pageOf.ContainsKey(item)) throw new InvalidOperationException("The item is in the list already.");
        var tail = _pages[LastPage];
        if (tail.Count >= PageSize)
        {
            LastPage++;
            _pages[LastPage] = tail = [];
            RangeChanged = true;
        }
        tail.Add(item);
        _pageOf[item] = LastPage;
        _dirty.Add(LastPage);
    }

    /// <summary>Removes <paramref name="item"/>; false if it is not in the list.</summary>
    public bool Remove(T item)
    {
        if (!_pageOf.Remove(item, out var number)) return false;
        _pages[number].Remove(item);
        _dirty.Add(number);
        TrimFront();
        return true;
    }

    /// <summary>Removes every item matching <paramref name="match"/>; returns how many.</summary>
    public int RemoveAll(Func<T, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        var removed = 0;
        foreach (var (number, page) in _pages)
        {
            var n = page.RemoveAll(item => match(item));
            if (n == 0) continue;
            removed += n;
            _dirty.Add(number);
        }
        if (removed > 0)
        {
            foreach (var item in _pageOf.Keys.Where(match).ToList())
            {
                _pageOf.Remove(item);
            }
            TrimFront();
        }
        return removed;
    }

    /// <summary>Marks the page holding <paramref name="item"/> for writing (after the item itself was changed).</summary>
    public void Touch(T item)
    {
        if (_pageOf.TryGetValue(item, out var number)) _dirty.Add(number);
    }

    public void ClearDirty()
    {
        _dirty.Clear();
        _dropped.Clear();
        RangeChanged = false;
    }

    /// <summary>Gives up empty pages at the front, keeping at least the last page.</summary>
    private void TrimFront()
    {
        while (FirstPage < LastPage && _pages[FirstPage].Count == 0)
        {
            _pages.Remove(FirstPage);
            _dirty.Remove(FirstPage);
            _dropped.Add(FirstPage);
            FirstPage++;
            RangeChanged = true;
        }
    }
}
