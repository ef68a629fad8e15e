using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentSnapshots.Engine;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace AgentSnapshots;

/// <summary>
/// A workspace grain's <see cref="SnapshotCatalogue"/> and where it is stored: one row per live snapshot and one
/// row for the workspace (its directory, session slots, drop epoch and recent drops), through
/// <see cref="ISnapshotRows"/>. <see cref="SaveAsync"/> writes only the rows that changed since the last write, with
/// whatever else the caller adds to the same transaction (a session's history row on a track).
/// </summary>
internal sealed class WorkspaceCatalogue
{
    private readonly ISnapshotRows _rows;
    private readonly string _workspaceId;

    /// <summary>Each stored entry's position, newest recording and contents as stored, to tell which changed and which moved.</summary>
    private readonly Dictionary<string, (long Position, long Newest, string Contents)> _stored = new(StringComparer.Ordinal);

    /// <summary>The highest position stored: an entry recorded again moves past it.</summary>
    private long _lastPosition;
    private bool _headerChanged;
    private bool _removalsPossible;

    private WorkspaceCatalogue(ISnapshotRows rows, string workspaceId, string? directory, SnapshotCatalogue catalogue)
    {
        _rows = rows;
        _workspaceId = workspaceId;
        Directory = directory;
        Catalogue = catalogue;
    }

    public SnapshotCatalogue Catalogue { get; }

    /// <summary>The directory the workspace's key was derived from; null until it is first opened.</summary>
    public string? Directory { get; private set; }

    public long DropEpoch => Catalogue.Header.DropEpoch;

    public int Count => Catalogue.Count;

    public int SessionCount => Catalogue.SessionCount;

    public long RecordedSinceCollection => Catalogue.RecordedSinceCollection;

    /// <summary>
    /// Reads the workspace's rows. A workspace stored by an earlier version (grain state and catalogue pages, no row)
    /// is migrated first: its rows written in one transaction, then the old records cleared.
    /// </summary>
    public static async Task<WorkspaceCatalogue> LoadAsync(ISnapshotRows rows, string workspaceId, IPersistentState<WorkspaceState> legacy,
        IGrainStorage storage, GrainId owner, ILogger logger)
    {
        var stored = await rows.ReadWorkspaceAsync(workspaceId);
        if (stored is null && (legacy.State.Directory is not null || legacy.State.Catalogue.Sessions.Count > 0))
        {
            var migrated = await MigrateAsync(rows, workspaceId, legacy, storage, owner);
            GrainLog.WorkspaceMigrated(logger, workspaceId, migrated.Count);
            return migrated;
        }
        if (stored is null)
        {
            return new WorkspaceCatalogue(rows, workspaceId, null, SnapshotCatalogue.Empty());
        }
        var entries = stored.Entries.Select(ToEntry).ToList();
        var pages = entries.Chunk(SnapshotCatalogue.PageSize).Select((page, n) => new KeyValuePair<int, List<CatalogueEntry>>(n, [.. page])).ToList();
        var header = new CatalogueHeader
        {
            Sessions = JsonSerializer.Deserialize<List<string?>>(stored.Header.Sessions) ?? [],
            FirstPage = 0,
            LastPage = Math.Max(0, pages.Count - 1),
            CollectedAtSequence = stored.Header.CollectedAtSequence,
            DropEpoch = stored.Header.DropEpoch,
        };
        var drops = JsonSerializer.Deserialize<List<DroppedSnapshot>>(stored.Header.Drops) ?? [];
        var catalogue = new WorkspaceCatalogue(rows, workspaceId, stored.Header.Directory, SnapshotCatalogue.Load(header, pages, drops));
        for (var i = 0; i < entries.Count; i++)
        {
            var row = stored.Entries[i];
            catalogue._stored[row.Hash] = (row.Position, Newest(entries[i]), Contents(row.TakenMs, row.Safety, row.Owners));
            catalogue._lastPosition = Math.Max(catalogue._lastPosition, row.Position);
        }
        // Entries the catalogue gave up as it loaded (owned by no session it names) are deleted with the next write.
        catalogue._removalsPossible = true;
        catalogue.Catalogue.ClearChanges();
        return catalogue;
    }

    /// <summary>Notes the directory (written with the next save).</summary>
    public void SetDirectory(string directory)
    {
        if (string.Equals(Directory, directory, StringComparison.Ordinal)) return;
        Directory = directory;
        _headerChanged = true;
    }

    public bool Contains(string hash) => Catalogue.Contains(hash);

    public void Record(string hash, string session, bool safety) => Catalogue.Record(hash, session, safety, DateTimeOffset.UtcNow);

    public IReadOnlyList<string> LiveOf(string session) => Catalogue.LiveOf(session);

    public DropReason? WhyDropped(string session, string hash) => Catalogue.WhyDropped(session, hash);

    public int Release(string session)
    {
        _removalsPossible = true;
        return Catalogue.Release(session);
    }

    /// <summary>Retention and collection (<see cref="RetentionRun"/>), saving the catalogue before anything is deleted.</summary>
    public Task<CollectionOutcome> CollectAsync(ObjectStore store, RetentionOptions retention, IReadOnlyCollection<GitObjectId> transient,
        TaskScheduler scheduler, CancellationToken cancellationToken)
    {
        _removalsPossible = true;
        return RetentionRun.RunAsync(Catalogue, store, retention, transient, () => SaveAsync(), scheduler, cancellationToken);
    }

    /// <summary>
    /// Writes the rows that changed (the entries recorded, moved or dropped, and the workspace's row when its header,
    /// drops or directory did) together with <paramref name="batch"/>'s rows, in one transaction.
    /// </summary>
    public async Task SaveAsync(RowBatch? batch = null)
    {
        batch ??= new RowBatch();
        var headerChanged = _headerChanged || Catalogue.HeaderChanged || Catalogue.DropsChanged;
        if (headerChanged)
        {
            batch.Workspaces.Add(new WorkspaceRow(_workspaceId, Directory, JsonSerializer.Serialize(Catalogue.Header.Sessions),
                Catalogue.Header.CollectedAtSequence, Catalogue.Header.DropEpoch, JsonSerializer.Serialize(Catalogue.Drops)));
        }
        var written = new List<(CatalogueRow Row, long Newest)>();
        var lastPosition = _lastPosition;
        foreach (var page in Catalogue.Pages.DirtyPages)
        {
            foreach (var entry in Catalogue.Pages.Page(page))
            {
                var owners = Owners(entry);
                var contents = Contents(entry.Time, entry.Safety, owners);
                var known = _stored.TryGetValue(entry.Hash, out var stored);
                if (known && stored.Contents == contents) continue;
                // A recording moves the entry to the end (it has a newer recording than stored); a release leaves it in place.
                var newest = Newest(entry);
                var position = known && newest <= stored.Newest ? stored.Position : ++lastPosition;
                written.Add((new CatalogueRow(_workspaceId, entry.Hash, position, entry.Time, entry.Safety, owners), newest));
            }
        }
        batch.Catalogue.AddRange(written.Select(w => w.Row));
        var removed = _removalsPossible ? _stored.Keys.Where(h => !Catalogue.Contains(h)).ToList() : [];
        batch.DeletedCatalogue.AddRange(removed.Select(h => (_workspaceId, h)));
        if (!batch.IsEmpty)
        {
            await _rows.WriteAsync(batch);
        }
        foreach (var (row, newest) in written)
        {
            _stored[row.Hash] = (row.Position, newest, Contents(row.TakenMs, row.Safety, row.Owners));
        }
        _lastPosition = lastPosition;
        foreach (var hash in removed)
        {
            _stored.Remove(hash);
        }
        _headerChanged = false;
        _removalsPossible = false;
        Catalogue.ClearChanges();
    }

    private static string Owners(CatalogueEntry entry)
    {
        var text = new StringBuilder();
        foreach (var owner in entry.Owners)
        {
            if (text.Length > 0) text.Append(';');
            text.Append(CultureInfo.InvariantCulture, $"{owner.Session}:{owner.Sequence}");
        }
        return text.ToString();
    }

    private static long Newest(CatalogueEntry entry) => entry.Owners.Count == 0 ? 0 : entry.Owners.Max(o => o.Sequence);

    private static string Contents(long time, bool safety, string owners) =>
        string.Create(CultureInfo.InvariantCulture, $"{time}|{safety}|{owners}");

    private static CatalogueEntry ToEntry(CatalogueRow row) => new()
    {
        Hash = row.Hash,
        Time = row.TakenMs,
        Safety = row.Safety,
        Owners = [.. row.Owners.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            return new CatalogueOwner
            {
                Session = int.Parse(pair.AsSpan(0, colon), CultureInfo.InvariantCulture),
                Sequence = long.Parse(pair.AsSpan(colon + 1), CultureInfo.InvariantCulture),
            };
        })],
    };

    /// <summary>Writes an earlier version's workspace (grain state, catalogue pages, drop log) as rows, then clears the old records.</summary>
    private static async Task<WorkspaceCatalogue> MigrateAsync(ISnapshotRows rows, string workspaceId, IPersistentState<WorkspaceState> legacy,
        IGrainStorage storage, GrainId owner)
    {
        var header = legacy.State.Catalogue;
        var pages = new PageStorage<CatalogueEntry>(storage, owner, "catalogue");
        var drops = new PageStorage<DroppedSnapshot>(storage, owner, "drops");
        var (first, last) = (header.FirstPage, header.LastPage);
        var loaded = SnapshotCatalogue.Load(header, await pages.LoadAsync(first, last), await drops.ReadAsync(0));
        var catalogue = new WorkspaceCatalogue(rows, workspaceId, legacy.State.Directory, loaded) { _headerChanged = true };
        // Every entry is written: as if every page were new.
        foreach (var entry in loaded.Pages.Items.ToList())
        {
            loaded.Pages.Touch(entry);
        }
        await catalogue.SaveAsync();
        // The rows are written: the old records go (were this interrupted, the rows are read next time and the old records stay unused).
        await pages.ClearAllAsync(first, last);
        await drops.ClearAllAsync(0, 0);
        await legacy.ClearStateAsync();
        legacy.State = new WorkspaceState();
        return catalogue;
    }
}
