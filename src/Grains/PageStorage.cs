using AgentSnapshots.Engine;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// Stores the pages of a grain's <see cref="PagedList{T}"/> as records of their own in the grain storage provider
/// (keyed by the owning grain, a name and the page number), so a grain writes the pages that changed and never its
/// whole history. Keeps each page's version for optimistic concurrency, as the grain's own state does.
/// </summary>
internal sealed class PageStorage<T>(IGrainStorage storage, GrainId owner, string name)
    where T : class
{
    private const string StateName = "page";
    private static readonly GrainType PageType = GrainType.Create("agentsnapshots-page");

    private readonly Dictionary<int, string?> _versions = [];

    /// <summary>Reads pages <paramref name="first"/>..<paramref name="last"/>, by number.</summary>
    public async Task<IReadOnlyList<KeyValuePair<int, List<T>>>> LoadAsync(int first, int last)
    {
        var pages = new List<KeyValuePair<int, List<T>>>();
        for (var n = first; n <= last; n++)
        {
            pages.Add(new(n, await ReadAsync(n)));
        }
        return pages;
    }

    /// <summary>Writes the pages that changed, clears the ones given up, and marks the list clean.</summary>
    public async Task SaveAsync(PagedList<T> list)
    {
        foreach (var n in list.DirtyPages)
        {
            await WriteAsync(n, [.. list.Page(n)]);
        }
        foreach (var n in list.DroppedPages)
        {
            await ClearAsync(n);
        }
        list.ClearDirty();
    }

    /// <summary>Clears every page of the list (the owner is being deleted).</summary>
    public async Task ClearAllAsync(int first, int last)
    {
        for (var n = first; n <= last; n++)
        {
            await ClearAsync(n);
        }
    }

    /// <summary>Reads one page (empty if it was never written).</summary>
    public async Task<List<T>> ReadAsync(int page)
    {
        var state = new GrainState<List<T>>([]);
        await storage.ReadStateAsync(StateName, PageId(page), state);
        _versions[page] = state.ETag;
        return state.State ?? [];
    }

    /// <summary>Writes one page.</summary>
    public async Task WriteAsync(int page, List<T> items)
    {
        var state = new GrainState<List<T>>(items) { ETag = _versions.GetValueOrDefault(page) };
        state.RecordExists = state.ETag is not null;
        try
        {
            await storage.WriteStateAsync(StateName, PageId(page), state);
        }
        catch (InconsistentStateException) when (!_versions.ContainsKey(page))
        {
            // A page this activation never read (opened at the end): one left by an earlier write that did not
            // reach the header. Take its version and overwrite it.
            var existing = new GrainState<List<T>>([]);
            await storage.ReadStateAsync(StateName, PageId(page), existing);
            state.ETag = existing.ETag;
            state.RecordExists = existing.RecordExists;
            await storage.WriteStateAsync(StateName, PageId(page), state);
        }
        _versions[page] = state.ETag;
    }

    private async Task ClearAsync(int page)
    {
        var state = new GrainState<List<T>>([]) { ETag = _versions.GetValueOrDefault(page) };
        if (state.ETag is null)
        {
            await storage.ReadStateAsync(StateName, PageId(page), state);
            if (!state.RecordExists) return;
        }
        await storage.ClearStateAsync(StateName, PageId(page), state);
        _versions.Remove(page);
    }

    private GrainId PageId(int page) =>
        GrainId.Create(PageType, IdSpan.Create(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{owner}/{name}/{page}")));
}
