using AgentSnapshots.Engine;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// How an earlier version stored histories and catalogues: pages of a <see cref="PagedList{T}"/> as records of their
/// own in the grain storage provider (keyed by the owning grain, a name and the page number). Read once, to migrate
/// a session or workspace to rows (<see cref="ISnapshotRows"/>), then cleared.
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
