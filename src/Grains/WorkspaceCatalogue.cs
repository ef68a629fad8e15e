using Orleans.Storage;
using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// A workspace grain's <see cref="SnapshotCatalogue"/> and where it is stored: the header inside the grain's own
/// state, each page of entries and the drop log as records of their own. Saving writes only what changed, so a
/// track writes one page (sometimes two, and the small header when a session or a page appears).
/// </summary>
internal sealed class WorkspaceCatalogue
{
    private readonly IPersistentState<WorkspaceState> _state;
    private readonly PageStorage<CatalogueEntry> _pages;
    private readonly PageStorage<DroppedSnapshot> _drops;

    private WorkspaceCatalogue(IPersistentState<WorkspaceState> state, PageStorage<CatalogueEntry> pages, PageStorage<DroppedSnapshot> drops, SnapshotCatalogue catalogue)
    {
        _state = state;
        _pages = pages;
        _drops = drops;
        Catalogue = catalogue;
    }

    public SnapshotCatalogue Catalogue { get; }

    public long DropEpoch => Catalogue.Header.DropEpoch;

    public int Count => Catalogue.Count;

    public int SessionCount => Catalogue.SessionCount;

    public long RecordedSinceCollection => Catalogue.RecordedSinceCollection;

    public static async Task<WorkspaceCatalogue> LoadAsync(IGrainStorage storage, GrainId owner, IPersistentState<WorkspaceState> state)
    {
        var header = state.State.Catalogue;
        var pages = new PageStorage<CatalogueEntry>(storage, owner, "catalogue");
        var drops = new PageStorage<DroppedSnapshot>(storage, owner, "drops");
        var entries = await pages.LoadAsync(header.FirstPage, header.LastPage);
        var catalogue = SnapshotCatalogue.Load(header, entries, await drops.ReadAsync(0));
        return new WorkspaceCatalogue(state, pages, drops, catalogue);
    }

    public bool Contains(string hash) => Catalogue.Contains(hash);

    public void Record(string hash, string session, bool safety) => Catalogue.Record(hash, session, safety, DateTimeOffset.UtcNow);

    public IReadOnlyList<string> LiveOf(string session) => Catalogue.LiveOf(session);

    public DropReason? WhyDropped(string session, string hash) => Catalogue.WhyDropped(session, hash);

    public int Release(string session) => Catalogue.Release(session);

    /// <summary>Retention and collection (<see cref="RetentionRun"/>), saving the catalogue before anything is deleted.</summary>
    public Task<CollectionOutcome> CollectAsync(ObjectStore store, RetentionOptions retention, IReadOnlyCollection<GitObjectId> transient,
        TaskScheduler scheduler, CancellationToken cancellationToken) =>
        RetentionRun.RunAsync(Catalogue, store, retention, transient, SaveAsync, scheduler, cancellationToken);

    /// <summary>Writes the pages, drop log and header that changed: header last, so a reload never reads pages it does not name.</summary>
    public async Task SaveAsync()
    {
        var headerChanged = Catalogue.HeaderChanged;
        var dropsChanged = Catalogue.DropsChanged;
        await _pages.SaveAsync(Catalogue.Pages);
        if (dropsChanged)
        {
            await _drops.WriteAsync(0, [.. Catalogue.Drops]);
        }
        if (headerChanged)
        {
            _state.State.Catalogue = Catalogue.Header;
            await _state.WriteStateAsync();
        }
        Catalogue.ClearChanges();
    }
}
