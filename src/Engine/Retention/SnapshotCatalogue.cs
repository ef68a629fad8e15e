namespace AgentSnapshots.Engine.Retention;

/// <summary>
/// The catalogue of one workspace: every snapshot a session recorded there (oldest recording first), who recorded
/// it, and what retention dropped recently and why. Entries live in pages (<see cref="PagedList{T}"/>), so recording
/// a snapshot changes one or two pages however long the catalogue is; lookups by hash and by session are indexed.
/// The caller persists what changed (<see cref="Pages"/>' dirty pages, <see cref="HeaderChanged"/>,
/// <see cref="DropsChanged"/>) and then calls <see cref="ClearChanges"/>. Not thread-safe: the workspace's single
/// writer owns it.
/// </summary>
public sealed class SnapshotCatalogue
{
    /// <summary>Entries per stored page.</summary>
    public const int PageSize = 64;

    /// <summary>At most this many drops are remembered (so sessions can say why a snapshot is gone).</summary>
    public const int MaxDropped = 1000;

    private readonly Dictionary<string, CatalogueEntry> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<int, HashSet<CatalogueEntry>> _bySlot = [];
    private readonly List<DroppedSnapshot> _drops;
    private long _sequence;

    private SnapshotCatalogue(CatalogueHeader header, PagedList<CatalogueEntry> pages, List<DroppedSnapshot> drops)
    {
        Header = header;
        Pages = pages;
        _drops = drops;
        // Owners whose slot the header does not name (a page written just before a crash that kept its header from
        // being written) are forgotten; so is an entry no one owns then, which collection frees after its grace period.
        pages.RemoveAll(e => e.Owners.RemoveAll(o => o.Session < 0 || o.Session >= header.Sessions.Count || header.Sessions[o.Session] is null) >= 0 && e.Owners.Count == 0);
        pages.ClearDirty();
        header.FirstPage = pages.FirstPage;
        header.LastPage = pages.LastPage;
        foreach (var entry in pages.Items)
        {
            _byHash[entry.Hash] = entry;
            foreach (var owner in entry.Owners)
            {
                SlotEntries(owner.Session).Add(entry);
                _sequence = Math.Max(_sequence, owner.Sequence);
            }
        }
    }

    /// <summary>Rebuilds the catalogue from its stored parts (a missing page is empty).</summary>
    public static SnapshotCatalogue Load(CatalogueHeader? header, IEnumerable<KeyValuePair<int, List<CatalogueEntry>>> pages, IEnumerable<DroppedSnapshot>? drops)
    {
        header ??= new CatalogueHeader();
        var paged = new PagedList<CatalogueEntry>(PageSize, header.FirstPage, header.LastPage, pages);
        return new SnapshotCatalogue(header, paged, drops?.ToList() ?? []);
    }

    public static SnapshotCatalogue Empty() => Load(null, [], null);

    public CatalogueHeader Header { get; }

    /// <summary>The entries' pages; persist its dirty pages after a change.</summary>
    public PagedList<CatalogueEntry> Pages { get; }

    /// <summary>Recent drops, oldest first, at most <see cref="MaxDropped"/>.</summary>
    public IReadOnlyList<DroppedSnapshot> Drops => _drops;

    public bool HeaderChanged { get; private set; }

    public bool DropsChanged { get; private set; }

    public int Count => _byHash.Count;

    public int SessionCount => Header.Sessions.Count(s => s is not null);

    /// <summary>Snapshots recorded since retention last ran.</summary>
    public long RecordedSinceCollection => Math.Max(0, _sequence - Header.CollectedAtSequence);

    /// <summary>Every live snapshot's hash, oldest recording first.</summary>
    public IEnumerable<string> LiveHashes => Pages.Items.Select(e => e.Hash);

    public bool Contains(string hash) => _byHash.ContainsKey(hash);

    public void ClearChanges()
    {
        Pages.ClearDirty();
        HeaderChanged = false;
        DropsChanged = false;
    }

    /// <summary>
    /// Records <paramref name="hash"/> as the latest snapshot of <paramref name="session"/>: a new entry, or an
    /// existing one moved to the end with its time renewed. Changes at most two pages.
    /// </summary>
    public void Record(string hash, string session, bool safety, DateTimeOffset now)
    {
        var slot = SlotOf(session, create: true)!.Value;
        var sequence = ++_sequence;
        if (_byHash.TryGetValue(hash, out var entry))
        {
            Pages.Remove(entry);
        }
        else
        {
            entry = new CatalogueEntry { Hash = hash };
            _byHash[hash] = entry;
        }
        entry.Time = now.ToUnixTimeMilliseconds();
        entry.Safety |= safety;
        entry.Owners.RemoveAll(o => o.Session == slot);
        entry.Owners.Add(new CatalogueOwner { Session = slot, Sequence = sequence });
        SlotEntries(slot).Add(entry);
        Pages.Append(entry);
        SyncRange();
        // Recorded again: it is live, whatever an earlier drop said.
        if (_drops.RemoveAll(d => d.Hash == hash) > 0) DropsChanged = true;
    }

    /// <summary>The hashes this workspace keeps for <paramref name="session"/>.</summary>
    public IReadOnlyList<string> LiveOf(string session) =>
        SlotOf(session, create: false) is { } slot && _bySlot.TryGetValue(slot, out var entries)
            ? [.. entries.Select(e => e.Hash)]
            : [];

    /// <summary>Why retention dropped <paramref name="hash"/> of <paramref name="session"/>, if it remembers.</summary>
    public DropReason? WhyDropped(string session, string hash) =>
        _drops.FindLast(d => d.Hash == hash && d.Session == session)?.Reason;

    /// <summary>Forgets <paramref name="session"/>: snapshots no other session recorded leave the catalogue. Returns how many it had.</summary>
    public int Release(string session)
    {
        if (SlotOf(session, create: false) is not { } slot) return 0;
        var released = 0;
        if (_bySlot.Remove(slot, out var entries))
        {
            foreach (var entry in entries)
            {
                entry.Owners.RemoveAll(o => o.Session == slot);
                released++;
                if (entry.Owners.Count == 0)
                {
                    _byHash.Remove(entry.Hash);
                    Pages.Remove(entry);
                }
                else
                {
                    Pages.Touch(entry);
                }
            }
        }
        Header.Sessions[slot] = null;
        HeaderChanged = true;
        SyncRange();
        if (_drops.RemoveAll(d => d.Session == session) > 0) DropsChanged = true;
        return released;
    }

    /// <summary>Drops what <paramref name="policy"/> does not keep (count, age and snapshot-count rules); returns how many.</summary>
    public int ApplyRetention(RetentionPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var entries = Pages.Items.ToList();
        return Drop(entries, policy.Apply(View(entries), now));
    }

    /// <summary>Drops up to <paramref name="count"/> of the oldest snapshots the policy does not protect (for MaxBytes).</summary>
    public int DropOldestUnprotected(RetentionPolicy policy, DateTimeOffset now, int count)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var entries = Pages.Items.ToList();
        var victims = policy.OldestUnprotected(View(entries), now, count);
        return Drop(entries, [.. victims.Select(i => (i, DropReason.MaxBytes))]);
    }

    /// <summary>Notes that retention ran, so automatic collection counts anew.</summary>
    public void MarkCollected()
    {
        Header.CollectedAtSequence = _sequence;
        HeaderChanged = true;
    }

    private static List<RetentionEntry> View(List<CatalogueEntry> entries) =>
        entries.ConvertAll(e => new RetentionEntry(
            DateTimeOffset.FromUnixTimeMilliseconds(e.Time),
            e.Safety,
            e.Owners.ConvertAll(o => new RetentionOwner(o.Session, o.Sequence))));

    /// <summary>Removes the given entries and remembers, per owning session, why.</summary>
    private int Drop(List<CatalogueEntry> entries, IReadOnlyList<(int Index, DropReason Reason)> drops)
    {
        if (drops.Count == 0) return 0;
        var epoch = ++Header.DropEpoch;
        HeaderChanged = true;
        foreach (var (index, reason) in drops)
        {
            var entry = entries[index];
            _byHash.Remove(entry.Hash);
            Pages.Remove(entry);
            foreach (var owner in entry.Owners)
            {
                if (_bySlot.TryGetValue(owner.Session, out var set)) set.Remove(entry);
                if (Header.Sessions[owner.Session] is { } session)
                {
                    _drops.Add(new DroppedSnapshot { Hash = entry.Hash, Session = session, Reason = reason, Epoch = epoch });
                }
            }
        }
        var excess = _drops.Count - MaxDropped;
        if (excess > 0) _drops.RemoveRange(0, excess);
        DropsChanged = true;
        SyncRange();
        return drops.Count;
    }

    /// <summary>Keeps the header's page range equal to the pages' (it is what a reload reads).</summary>
    private void SyncRange()
    {
        if (!Pages.RangeChanged) return;
        Header.FirstPage = Pages.FirstPage;
        Header.LastPage = Pages.LastPage;
        HeaderChanged = true;
    }

    private int? SlotOf(string session, bool create)
    {
        var slot = Header.Sessions.IndexOf(session);
        if (slot >= 0 || !create) return slot >= 0 ? slot : null;
        slot = Header.Sessions.IndexOf(null);
        if (slot < 0)
        {
            slot = Header.Sessions.Count;
            Header.Sessions.Add(session);
        }
        else
        {
            Header.Sessions[slot] = session;
        }
        HeaderChanged = true;
        return slot;
    }

    private HashSet<CatalogueEntry> SlotEntries(int slot)
    {
        if (!_bySlot.TryGetValue(slot, out var set))
        {
            _bySlot[slot] = set = new HashSet<CatalogueEntry>(ReferenceEqualityComparer.Instance);
        }
        return set;
    }
}
