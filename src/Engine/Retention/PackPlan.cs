using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Objects.Packs;

namespace AgentSnapshots.Engine.Retention;

/// <summary>
/// What one collection writes into a new pack, and which packs it then deletes:
/// <list type="bullet">
/// <item>the reachable loose objects no pack holds (in walk order, so each file's previous version comes first);</item>
/// <item>packs to rewrite: those at least half unreachable (all with unreachable bytes when reclaiming), then, smallest
/// first, each pack smaller than twice everything chosen so far (geometric consolidation: the largest pack is rewritten
/// only when at least half of it is garbage or when as much is new, so the extra disk a collection needs is the new
/// pack alone, smaller than what it replaces, and most collections copy only small packs);</item>
/// <item>redundant packs, whose reachable objects all sit in other packs (left by a collection killed between placing
/// its pack and deleting the old ones): deleted, nothing copied.</item>
/// </list>
/// A few new loose objects (under <see cref="MinLooseBytes"/> and <see cref="MinLooseObjects"/>) wait for more, unless
/// a pack is rewritten anyway. A backed store (<see cref="Objects.Backends.BackedStore"/>) has no loose objects at
/// collection time, its tracks' packs take their place: its smallest packs are consolidated as above.
/// </summary>
internal sealed class PackPlan
{
    public const long MinLooseBytes = 1 << 20;
    public const int MinLooseObjects = 256;

    private PackPlan(List<GitObjectId> loose, long looseBytes, List<PackEntries> rewrite, List<PackFile> redundant)
    {
        Loose = loose;
        LooseBytes = looseBytes;
        Rewrite = rewrite;
        Redundant = redundant;
    }

    /// <summary>Reachable loose objects to pack, in walk order.</summary>
    public IReadOnlyList<GitObjectId> Loose { get; }

    public long LooseBytes { get; }

    /// <summary>Packs whose needed entries go into the new pack, oldest first.</summary>
    public IReadOnlyList<PackEntries> Rewrite { get; }

    public IReadOnlyList<PackFile> Redundant { get; }

    public bool Writes => Loose.Count > 0 || Rewrite.Count > 0;

    public static PackPlan Make(ObjectStore store, StoreWalk walk, IReadOnlyDictionary<GitObjectId, FileInfo> looseFiles, bool reclaimAll)
    {
        var packs = store.Packs.Packs.Where(p => !File.Exists(Path.ChangeExtension(p.PackPath, ".keep"))).ToList();
        var redundant = FindRedundant(packs, walk.Reachable);
        packs.RemoveAll(redundant.Contains);

        var loose = new List<GitObjectId>();
        long looseBytes = 0;
        foreach (var id in walk.Order)
        {
            if (looseFiles.TryGetValue(id, out var file) && !packs.Any(p => p.Index.Find(id) >= 0))
            {
                loose.Add(id);
                looseBytes += file.Length;
            }
        }

        var chosen = new List<PackEntries>();
        long chosenBytes = looseBytes;
        var rest = new List<PackFile>();
        foreach (var pack in packs)
        {
            var entries = PackEntries.Read(pack);
            long garbage = 0;
            for (var i = 0; i < entries.Count; i++)
            {
                if (!walk.Reachable.Contains(entries.IdAt(i))) garbage += entries.LengthAt(i);
            }
            if ((garbage > 0 && garbage * 2 >= pack.EntriesEnd) || (reclaimAll && garbage > 0))
            {
                chosen.Add(entries);
                chosenBytes += pack.Length - garbage;
            }
            else
            {
                rest.Add(pack);
            }
        }
        // A backed store's tracks publish their objects as packs of whole objects: those take the place of a local
        // store's loose objects. The smallest of them is always taken (never the only one, which may be the large
        // consolidated pack), and the geometric rule goes on from it.
        var backed = store.Backed is not null;
        var fresh = chosen.Count > 0 || loose.Count >= MinLooseObjects || looseBytes >= MinLooseBytes;
        if (!fresh && !(backed && rest.Count >= 2))
        {
            return new PackPlan([], 0, [], redundant);
        }
        var seeded = 0;
        foreach (var pack in rest.OrderBy(p => p.Length))
        {
            if (pack.Length >= 2 * chosenBytes && !(backed && seeded == 0 && rest.Count >= 2)) break;
            chosen.Add(PackEntries.Read(pack));
            chosenBytes += pack.Length;
            seeded++;
        }
        if (!fresh && seeded < 2)
        {
            // One pack alone, nothing of it garbage: rewriting it would copy it as it is.
            return new PackPlan([], 0, [], redundant);
        }
        chosen.Sort((a, b) => a.Pack.LastWriteTimeUtc.CompareTo(b.Pack.LastWriteTimeUtc));
        return new PackPlan(loose, looseBytes, chosen, redundant);
    }

    /// <summary>Packs (smallest first) whose every reachable object is also in a pack that stays.</summary>
    private static List<PackFile> FindRedundant(List<PackFile> packs, HashSet<GitObjectId> reachable)
    {
        var redundant = new List<PackFile>();
        foreach (var pack in packs.OrderBy(p => p.Length))
        {
            var others = packs.Where(p => p != pack && !redundant.Contains(p)).ToList();
            if (others.Count == 0) continue;
            var covered = true;
            for (var i = 0; i < pack.Index.Count && covered; i++)
            {
                var id = pack.Index.IdAt(i);
                covered = !reachable.Contains(id) || others.Any(o => o.Index.Find(id) >= 0);
            }
            if (covered) redundant.Add(pack);
        }
        return redundant;
    }
}
