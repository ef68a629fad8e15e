using Orleans.Storage;
using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>
/// A session grain's history and where it is stored: entries in pages of their own (<see cref="PagedList{T}"/>),
/// the page range in the grain's state. Appending writes the last page; pruning and step stats rewrite only the
/// pages they touch. Lookups by hash are indexed.
/// </summary>
internal sealed class SessionRecords
{
    public const int PageSize = 64;

    private readonly IPersistentState<SessionState> _state;
    private readonly PageStorage<SessionSnapshot> _storage;
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private PagedList<SessionSnapshot> _entries;

    private SessionRecords(IPersistentState<SessionState> state, PageStorage<SessionSnapshot> storage, PagedList<SessionSnapshot> entries)
    {
        _state = state;
        _storage = storage;
        _entries = entries;
        foreach (var entry in entries.Items)
        {
            _counts[entry.Hash] = _counts.GetValueOrDefault(entry.Hash) + 1;
        }
    }

    public static async Task<SessionRecords> LoadAsync(IGrainStorage grainStorage, GrainId owner, IPersistentState<SessionState> state)
    {
        var storage = new PageStorage<SessionSnapshot>(grainStorage, owner, "history");
        var pages = await storage.LoadAsync(state.State.FirstPage, state.State.LastPage);
        return new SessionRecords(state, storage, new PagedList<SessionSnapshot>(PageSize, state.State.FirstPage, state.State.LastPage, pages));
    }

    public int Count => _entries.Count;

    public IEnumerable<SessionSnapshot> Entries => _entries.Items;

    public SessionSnapshot? Last => _entries.Last;

    public bool Contains(string hash) => _counts.ContainsKey(hash);

    /// <summary>Adds a snapshot at the end; its step is pending against the snapshot before it (none for the first).</summary>
    public SessionSnapshot Append(string hash, string? label, int files, int skipped)
    {
        var previous = Last;
        var entry = new SessionSnapshot { Hash = hash, Label = label, Time = DateTimeOffset.UtcNow, Files = files, Skipped = skipped };
        if (previous is not null)
        {
            if (previous.Hash == hash)
            {
                entry.Step = new SessionStep { Exact = true };
            }
            else
            {
                entry.PendingFrom = previous.Hash;
            }
        }
        _entries.Append(entry);
        _counts[hash] = _counts.GetValueOrDefault(hash) + 1;
        return entry;
    }

    /// <summary>Entries whose step stats are still to be computed.</summary>
    public IEnumerable<SessionSnapshot> PendingSteps => _entries.Items.Where(e => e.PendingFrom is not null);

    /// <summary>Stores a step's stats on the entries of <paramref name="hash"/> pending against <paramref name="from"/>; false if none is.</summary>
    public bool SetStep(string hash, string from, StepStats stats)
    {
        var found = false;
        foreach (var entry in _entries.Items.Where(e => e.Hash == hash && e.PendingFrom == from))
        {
            entry.Step = new SessionStep { Changed = stats.Changed, Additions = stats.Additions, Deletions = stats.Deletions, Exact = stats.Exact };
            entry.PendingFrom = null;
            _entries.Touch(entry);
            found = true;
        }
        return found;
    }

    /// <summary>Removes every entry whose hash is not in <paramref name="live"/>; returns the hashes removed.</summary>
    public IReadOnlyList<string> KeepOnly(IReadOnlySet<string> live)
    {
        var gone = _counts.Keys.Where(h => !live.Contains(h)).ToList();
        if (gone.Count == 0) return gone;
        _entries.RemoveAll(e => !live.Contains(e.Hash));
        foreach (var hash in gone)
        {
            _counts.Remove(hash);
        }
        return gone;
    }

    /// <summary>Writes the pages that changed, then the state when its page range changed or <paramref name="stateChanged"/>.</summary>
    public async Task SaveAsync(bool stateChanged = false)
    {
        var rangeChanged = _entries.RangeChanged;
        await _storage.SaveAsync(_entries);
        if (rangeChanged || stateChanged)
        {
            _state.State.FirstPage = _entries.FirstPage;
            _state.State.LastPage = _entries.LastPage;
            await _state.WriteStateAsync();
        }
    }

    /// <summary>Deletes the history's pages and starts an empty one.</summary>
    public async Task ClearAsync()
    {
        await _storage.ClearAllAsync(_entries.FirstPage, _entries.LastPage);
        _entries = new PagedList<SessionSnapshot>(PageSize, 0, 0, []);
        _counts.Clear();
    }
}
