using System.Text;

namespace AgentSnapshots.Engine;

/// <summary>
/// What the last snapshot of a workspace saw of each file (size, modification time, mode, blob id), so a file
/// whose stat is unchanged is not read again. Kept as a file beside the object store; losing it costs one full
/// re-read, never a wrong snapshot. Entries recorded too close to the snapshot's start are "racy" (a write in the
/// same timestamp tick would go unseen) and are never trusted.
/// </summary>
public sealed class SnapshotIndex
{
    private const string FileName = "agentsnapshots.index";
    private const int Version = 1;
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, Entry> _entries;

    private SnapshotIndex(Dictionary<string, Entry> entries) => _entries = entries;

    public readonly record struct Entry(long Size, long MtimeTicks, EntryMode Mode, GitObjectId Id, bool Racy);

    public int Count => _entries.Count;

    public static SnapshotIndex Empty() => new(new Dictionary<string, Entry>(StringComparer.Ordinal));

    public static SnapshotIndex Load(ObjectStore store)
    {
        var path = Path.Combine(store.GitDir, FileName);
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (reader.ReadInt32() != Version) return Empty();
            var count = reader.ReadInt32();
            var entries = new Dictionary<string, Entry>(count, StringComparer.Ordinal);
            Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var size = reader.ReadInt64();
                var mtime = reader.ReadInt64();
                var mode = (EntryMode)reader.ReadInt32();
                var racy = reader.ReadBoolean();
                reader.BaseStream.ReadExactly(raw);
                entries[name] = new Entry(size, mtime, mode, new GitObjectId(raw), racy);
            }
            return new SnapshotIndex(entries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            // Absent or damaged: the next snapshot reads every file once and writes a fresh index.
            return Empty();
        }
    }

    /// <summary>The blob id recorded for <paramref name="path"/> if its stat is unchanged and the entry is trustworthy.</summary>
    public bool TryGetUnchanged(string path, long size, long mtimeTicks, EntryMode mode, out GitObjectId id)
    {
        if (_entries.TryGetValue(path, out var e) && !e.Racy && e.Size == size && e.MtimeTicks == mtimeTicks && e.Mode == mode)
        {
            id = e.Id;
            return true;
        }
        id = default;
        return false;
    }

    public void Set(string path, long size, long mtimeTicks, EntryMode mode, GitObjectId id, DateTime snapshotStartUtc) =>
        _entries[path] = new Entry(size, mtimeTicks, mode, id, mtimeTicks >= (snapshotStartUtc - RacyWindow).Ticks);

    /// <summary>Writes the index atomically (temporary file, then rename).</summary>
    public void Save(ObjectStore store)
    {
        var path = Path.Combine(store.GitDir, FileName);
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var writer = new BinaryWriter(new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), Encoding.UTF8))
            {
                writer.Write(Version);
                writer.Write(_entries.Count);
                Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
                foreach (var (name, e) in _entries)
                {
                    writer.Write(name);
                    writer.Write(e.Size);
                    writer.Write(e.MtimeTicks);
                    writer.Write((int)e.Mode);
                    writer.Write(e.Racy);
                    e.Id.WriteTo(raw);
                    writer.Write(raw);
                }
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
