using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.WorkingTree;

namespace AgentSnapshots.Engine.Snapshotting;

/// <summary>
/// The working tree's state as the last snapshot saw it (per directory: each file's <see cref="FileStamp"/>, mode
/// and blob, and the directory's tree), kept beside the object store so a new silo does not read every file again.
/// A compact binary base file holds the whole state; each track appends only the directories it changed to a log
/// (a directory whose tree alone changed costs its path and an id), and the log is folded into a new base when it
/// outgrows it. Records are checksummed: a torn append loses that record only. Losing the index costs one full
/// re-read, never a wrong snapshot: every fact in it is a stat and the blob that stat had, trusted only if the
/// stat still matches.
/// The format is versioned by the files' magic numbers. Version 2 (ASI2/ASL2) recorded size and mtime only, so
/// its entries cannot vouch for a file by today's comparison (a same-size edit with its mtime set back would pass):
/// an index of any other version than this one is read as absent, and the next snapshot reads every file once and
/// writes this version.
/// </summary>
internal sealed class SnapshotIndex
{
    private const string BaseFile = "agentsnapshots.index";
    private const string LogFile = "agentsnapshots.index.log";
    private const string RootFile = "agentsnapshots.index.root";
    private const uint BaseMagic = 0x33495341; // "ASI3": files carry size, mtime, ctime and identity
    private const uint LogMagic = 0x334C5341;  // "ASL3"
    private const int HeaderBytes = 12;        // magic (4), generation (8)
    private const int FrameBytes = 12;         // payload length (4), XxHash64 of the payload (8)
    private const long MinCompactBytes = 1 << 20;

    private enum RecordType : byte
    {
        Directory = 1,
        Tree = 2,
        Removed = 3,
        Marker = 4,
    }

    private readonly ObjectStore _store;
    private ulong _generation;
    private long _baseBytes;
    private long _logBytes;

    private SnapshotIndex(ObjectStore store) => _store = store;

    /// <summary>The state recorded for the store's workspace (null if there is none or it is unreadable), and the collection marker it was recorded under.</summary>
    public static SnapshotIndex Load(ObjectStore store, out DirectoryState? root, out string marker)
    {
        root = null;
        marker = "";
        try
        {
            var baseBytes = File.ReadAllBytes(Path.Combine(store.GitDir, BaseFile));
            if (!TryHeader(baseBytes, BaseMagic, out var generation)) return new SnapshotIndex(store);
            var nodes = new Dictionary<string, DirectoryState>(StringComparer.Ordinal);
            var recorded = "";
            if (Replay(baseBytes, nodes, ref recorded) != baseBytes.Length) return new SnapshotIndex(store);
            var index = new SnapshotIndex(store) { _generation = generation, _baseBytes = baseBytes.Length };
            var logPath = Path.Combine(store.GitDir, LogFile);
            if (File.Exists(logPath))
            {
                var logBytes = File.ReadAllBytes(logPath);
                if (TryHeader(logBytes, LogMagic, out var logGeneration) && logGeneration == generation)
                {
                    index._logBytes = Replay(logBytes, nodes, ref recorded);
                }
            }
            root = nodes.GetValueOrDefault("");
            marker = recorded;
            return index;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or FormatException)
        {
            // Absent or damaged: the next snapshot reads every file once and writes a fresh index.
            root = null;
            marker = "";
            return new SnapshotIndex(store);
        }
    }

    /// <summary>Records a snapshot's changes: appended to the log, or the whole state written anew when that is smaller or due.</summary>
    public void Record(DirectoryState root, StateChanges changes, string marker, bool markerChanged)
    {
        if (_baseBytes == 0)
        {
            WriteBase(root, marker);
        }
        else if (!changes.IsEmpty || markerChanged)
        {
            AppendLog(changes, marker, markerChanged);
            if (_logBytes > Math.Max(_baseBytes, MinCompactBytes)) WriteBase(root, marker);
        }
        if (!changes.IsEmpty || _baseBytes == 0) WriteRoot(root.Tree);
    }

    /// <summary>The root tree of the last recorded snapshot, for the collector to tell whether the index's objects are kept.</summary>
    public static GitObjectId? ReadRoot(ObjectStore store)
    {
        try
        {
            return GitObjectId.TryParse(File.ReadAllText(Path.Combine(store.GitDir, RootFile)).Trim(), out var id) ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Overwrites the root file in place (its length only changes between empty and one id): replacing or truncating
    /// it every track would free and allocate a block each time. A torn write reads as an id the collector does not
    /// find reachable, which only makes the next snapshot check the index's objects.
    /// </summary>
    private void WriteRoot(GitObjectId? tree)
    {
        var text = Encoding.ASCII.GetBytes(tree?.ToHex() ?? "");
        using var file = File.OpenHandle(Path.Combine(_store.GitDir, RootFile), FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        RandomAccess.Write(file, text, 0);
        if (RandomAccess.GetLength(file) != text.Length) RandomAccess.SetLength(file, text.Length);
    }

    private void WriteBase(DirectoryState root, string marker)
    {
        var generation = (ulong)Random.Shared.NextInt64();
        var path = Path.Combine(_store.GitDir, BaseFile);
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            long written;
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteHeader(file, BaseMagic, generation);
                using var record = new RecordWriter(file);
                record.Marker(marker);
                foreach (var node in root.SelfAndDescendants()) record.Directory(node);
                written = file.Length;
            }
            File.Move(tmp, path, overwrite: true);
            _baseBytes = written;
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        _generation = generation;
        using (var log = new FileStream(Path.Combine(_store.GitDir, LogFile), FileMode.Create, FileAccess.Write, FileShare.None))
        {
            WriteHeader(log, LogMagic, generation);
        }
        _logBytes = HeaderBytes;
    }

    /// <summary>Appends the changed directories to the log in one write (records built in memory first).</summary>
    private void AppendLog(StateChanges changes, string marker, bool markerChanged)
    {
        // No log of this base's generation yet (or a stale one, left by a crash while a base was written): start it.
        var fresh = _logBytes < HeaderBytes;
        var records = new MemoryStream();
        if (fresh) WriteHeader(records, LogMagic, _generation);
        using (var record = new RecordWriter(records))
        {
            if (markerChanged) record.Marker(marker);
            // Removals first (a directory removed and made anew in one track comes back), then parents before children.
            foreach (var path in changes.Removed) record.Removed(path);
            foreach (var node in changes.Rewritten.OrderBy(n => n.Depth)) record.Directory(node);
            foreach (var node in changes.Retreed) record.Tree(node);
        }
        var start = fresh ? 0 : _logBytes;
        using var log = File.OpenHandle(Path.Combine(_store.GitDir, LogFile), FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        // Drop what lies past the last whole record (a stale log, or a record torn by a crash); only then, as a
        // truncation costs more than the check.
        if (RandomAccess.GetLength(log) != start) RandomAccess.SetLength(log, start);
        RandomAccess.Write(log, records.GetBuffer().AsSpan(0, (int)records.Length), start);
        _logBytes = start + records.Length;
    }

    private static void WriteHeader(Stream stream, uint magic, ulong generation)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, magic);
        BinaryPrimitives.WriteUInt64LittleEndian(header[4..], generation);
        stream.Write(header);
    }

    private static bool TryHeader(byte[] bytes, uint magic, out ulong generation)
    {
        generation = 0;
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != magic) return false;
        generation = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(4));
        return true;
    }

    /// <summary>Applies every whole, intact record after the header; returns the length of the part that was applied.</summary>
    private static long Replay(byte[] bytes, Dictionary<string, DirectoryState> nodes, ref string marker)
    {
        var offset = HeaderBytes;
        while (offset + FrameBytes <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            var checksum = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset + 4));
            if (length <= 0 || offset + FrameBytes + length > bytes.Length) break;
            var payload = bytes.AsSpan(offset + FrameBytes, length);
            if (XxHash64.HashToUInt64(payload) != checksum) break;
            Apply(payload.ToArray(), nodes, ref marker);
            offset += FrameBytes + length;
        }
        return offset;
    }

    private static void Apply(byte[] payload, Dictionary<string, DirectoryState> nodes, ref string marker)
    {
        using var reader = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
        var type = (RecordType)reader.ReadByte();
        if (type == RecordType.Marker)
        {
            marker = reader.ReadString();
            return;
        }
        var path = reader.ReadString();
        switch (type)
        {
            case RecordType.Removed:
                if (nodes.GetValueOrDefault(path) is { Parent: { } parent } removed)
                {
                    parent.RemoveDirectory(removed.Name);
                    foreach (var gone in removed.SelfAndDescendants()) nodes.Remove(gone.Path);
                }
                break;
            case RecordType.Tree:
                if (nodes.GetValueOrDefault(path) is { } retreed) retreed.Tree = ReadTree(reader);
                break;
            case RecordType.Directory:
                var node = nodes.GetValueOrDefault(path) ?? Create(path, nodes);
                if (node is null) break;
                node.Tree = ReadTree(reader);
                node.Files.Clear();
                var count = reader.ReadInt32();
                Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
                for (var i = 0; i < count; i++)
                {
                    var name = reader.ReadString();
                    var mode = (EntryMode)reader.ReadInt32();
                    var stamp = new FileStamp(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadUInt64());
                    reader.BaseStream.ReadExactly(raw);
                    var racy = reader.ReadBoolean();
                    node.Files.Add(new FileState(name, mode, stamp, new GitObjectId(raw), racy));
                }
                break;
            default:
                throw new InvalidDataException($"Unknown index record type {type}.");
        }
    }

    /// <summary>A new node for <paramref name="path"/> under its recorded parent (null if the parent is unknown: the record is stale).</summary>
    private static DirectoryState? Create(string path, Dictionary<string, DirectoryState> nodes)
    {
        DirectoryState node;
        if (path.Length == 0)
        {
            node = new DirectoryState("", null);
        }
        else
        {
            var slash = path.LastIndexOf('/');
            if (nodes.GetValueOrDefault(slash < 0 ? "" : path[..slash]) is not { } parent) return null;
            node = new DirectoryState(path[(slash + 1)..], parent);
            parent.SetDirectory(node);
        }
        nodes[path] = node;
        return node;
    }

    private static GitObjectId? ReadTree(BinaryReader reader)
    {
        if (!reader.ReadBoolean()) return null;
        Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
        reader.BaseStream.ReadExactly(raw);
        return new GitObjectId(raw);
    }

    /// <summary>Writes framed records (length, checksum, payload) to a stream.</summary>
    private sealed class RecordWriter(Stream output) : IDisposable
    {
        private readonly BinaryWriter _writer = new(new MemoryStream(), Encoding.UTF8);
        private readonly byte[] _raw = new byte[GitObjectId.ByteLength];

        public void Marker(string marker)
        {
            Begin(RecordType.Marker);
            _writer.Write(marker);
            End();
        }

        public void Removed(string path)
        {
            Begin(RecordType.Removed);
            _writer.Write(path);
            End();
        }

        public void Tree(DirectoryState node)
        {
            Begin(RecordType.Tree);
            _writer.Write(node.Path);
            WriteTree(node.Tree);
            End();
        }

        public void Directory(DirectoryState node)
        {
            Begin(RecordType.Directory);
            _writer.Write(node.Path);
            WriteTree(node.Tree);
            _writer.Write(node.Files.Count);
            foreach (var file in node.Files)
            {
                _writer.Write(file.Name);
                _writer.Write((int)file.Mode);
                _writer.Write(file.Stamp.Size);
                _writer.Write(file.Stamp.MtimeNs);
                _writer.Write(file.Stamp.CtimeNs);
                _writer.Write(file.Stamp.Identity);
                file.Id.WriteTo(_raw);
                _writer.Write(_raw);
                _writer.Write(file.Racy);
            }
            End();
        }

        private void WriteTree(GitObjectId? tree)
        {
            _writer.Write(tree.HasValue);
            if (tree is { } id)
            {
                id.WriteTo(_raw);
                _writer.Write(_raw);
            }
        }

        private void Begin(RecordType type)
        {
            _writer.Flush();
            ((MemoryStream)_writer.BaseStream).SetLength(0);
            _writer.Write((byte)type);
        }

        private void End()
        {
            _writer.Flush();
            var stream = (MemoryStream)_writer.BaseStream;
            var payload = stream.GetBuffer().AsSpan(0, (int)stream.Length);
            Span<byte> frame = stackalloc byte[FrameBytes];
            BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(frame[4..], XxHash64.HashToUInt64(payload));
            output.Write(frame);
            output.Write(payload);
        }

        public void Dispose() => _writer.Dispose();
    }
}
