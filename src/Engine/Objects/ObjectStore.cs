using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.Engine.Objects.Packs;
using AgentSnapshots.Engine.Retention;

namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// A git object database that belongs to the service (a bare repository layout, readable and writable by git itself).
/// New objects are written loose; collection moves kept ones into packs (<see cref="StoreCollector"/>). Reads find an
/// object in the packs or loose, and stream its content in bounded memory whatever its size, delta chains included.
/// Safe for concurrent readers beside one writer: a pack or loose object that moves while it is looked up is looked up
/// again (the pack list is read again when an object is not found, as git does).
/// </summary>
public sealed class ObjectStore
{
    /// <summary>Trees, commits and tags are read whole; one larger than this is taken for damage.</summary>
    private const int MaxSmallObjectBytes = 256 << 20;

    /// <summary>Blobs up to this size are read into memory and hashed before they are written.</summary>
    private const int SmallBlobBytes = 64 * 1024;

    /// <summary>
    /// Times an object whose pack went away between its lookup and its read is looked up again: once for a pack
    /// consolidated by collection; more for a backed store's cache, which may evict a pack while others are fetched.
    /// </summary>
    private const int RetriesAfterMove = 3;

    private readonly LooseObjects _loose;

    private ObjectStore(string gitDir, PackCache? cache)
    {
        GitDir = gitDir;
        ObjectsDirectory = Path.Combine(gitDir, "objects");
        _loose = new LooseObjects(ObjectsDirectory);
        Backed = cache is null ? null : new BackedStore(cache, this);
        Packs = new PackSet(Path.Combine(ObjectsDirectory, "pack"), Backed);
    }

    /// <summary>Set when the store lives in an object backend and this directory only caches it (see <see cref="BackedStore"/>).</summary>
    public BackedStore? Backed { get; }

    /// <summary>The store's directory (a bare git repository: <c>git --git-dir</c> reads it).</summary>
    public string GitDir { get; }

    internal string ObjectsDirectory { get; }

    internal LooseObjects Loose => _loose;

    internal PackSet Packs { get; }

    /// <summary>Opens the store at <paramref name="gitDir"/>, creating the bare layout if it is absent.</summary>
    public static ObjectStore Open(string gitDir) => Open(gitDir, null);

    /// <summary>Opens the store at <paramref name="gitDir"/>; with <paramref name="cache"/>, as a cache of the store kept in the cache's backend.</summary>
    public static ObjectStore Open(string gitDir, PackCache? cache)
    {
        gitDir = Path.GetFullPath(gitDir);
        Directory.CreateDirectory(Path.Combine(gitDir, "objects", "info"));
        Directory.CreateDirectory(Path.Combine(gitDir, "objects", "pack"));
        Directory.CreateDirectory(Path.Combine(gitDir, "refs", "heads"));
        Directory.CreateDirectory(Path.Combine(gitDir, "refs", "tags"));
        WriteIfAbsent(Path.Combine(gitDir, "HEAD"), "ref: refs/heads/main\n");
        WriteIfAbsent(Path.Combine(gitDir, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n");
        return new ObjectStore(gitDir, cache);
    }

    /// <summary>
    /// Opens the store at <paramref name="gitDir"/> as it is, creating nothing: for a reader of a store its writer
    /// made (a diff), which would otherwise pay four mkdirs and two stats per open. A missing store reads as one
    /// without the objects asked for.
    /// </summary>
    public static ObjectStore OpenExisting(string gitDir) => new(Path.GetFullPath(gitDir), null);

    private static void WriteIfAbsent(string path, string text)
    {
        if (!File.Exists(path))
        {
            var tmp = path + ".tmp-" + Environment.ProcessId;
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
    }

    /// <summary>Whether the store holds <paramref name="id"/>, packed or loose.</summary>
    public bool Contains(GitObjectId id) => TryLocate(id, out _, out _);

    /// <summary>Like <see cref="Contains"/> without reading the pack list again: a miss may be a pack written since (for writers, where a miss costs a duplicate).</summary>
    internal bool ContainsQuick(GitObjectId id) => Packs.TryFind(id, out _, out _) || _loose.Contains(id);

    /// <summary>Where <paramref name="id"/> is: in <paramref name="pack"/> at <paramref name="offset"/>, or loose (pack null).</summary>
    internal bool TryLocate(GitObjectId id, out PackFile? pack, out long offset)
    {
        if (Packs.TryFind(id, out var found, out offset))
        {
            pack = found;
            return true;
        }
        pack = null;
        if (_loose.Contains(id)) return true;
        if (Packs.Refresh() && Packs.TryFind(id, out found, out offset))
        {
            pack = found;
            return true;
        }
        // A backed store's object may be in a pack this silo has not cached (written through another silo, or evicted).
        if (Backed is { } backed && backed.Sync() && Packs.TryFind(id, out found, out offset))
        {
            pack = found;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Called on the writing thread (snapshots write files in parallel) with each blob larger than
    /// <see cref="SmallBlobBytes"/> that <see cref="WriteBlob"/> has just stored (or found stored), and its size: a
    /// workspace agent sends it on while its snapshot goes on. Null: nobody listens.
    /// </summary>
    public Action<GitObjectId, long>? LargeBlobWritten { get; set; }

    /// <summary>
    /// Streams exactly <paramref name="length"/> bytes from <paramref name="content"/> into a blob.
    /// Throws <see cref="ContentLengthChangedException"/> if the source holds more or fewer bytes
    /// (a file that changed while it was read); nothing is left behind then.
    /// </summary>
    public GitObjectId WriteBlob(Stream content, long length, CancellationToken cancellationToken = default)
    {
        if (length > SmallBlobBytes)
        {
            var written = _loose.Write(GitObjectType.Blob, content, length, ContainsQuick, cancellationToken);
            LargeBlobWritten?.Invoke(written, length);
            return written;
        }
        // Small (most source files): read whole, hashed before anything is written, so content the store holds
        // already (a file touched, or changed back) costs no temporary file.
        cancellationToken.ThrowIfCancellationRequested();
        var buffer = ArrayPool<byte>.Shared.Rent((int)length + 1);
        try
        {
            var total = 0;
            while (total <= length)
            {
                var read = content.Read(buffer, total, (int)length + 1 - total);
                if (read == 0) break;
                total += read;
            }
            if (total != length)
            {
                throw new ContentLengthChangedException(length, total);
            }
            return WriteObject(GitObjectType.Blob, buffer.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes a small object held in memory; one that is already stored (an unchanged tree) costs a hash and a lookup.</summary>
    public GitObjectId WriteObject(GitObjectType type, ReadOnlySpan<byte> content)
    {
        var id = HashOf(type, content);
        if (!ContainsQuick(id)) _loose.WriteSmall(type, content, id);
        return id;
    }

    /// <summary>The id git gives an object of <paramref name="type"/> with <paramref name="content"/>.</summary>
    public static GitObjectId HashOf(GitObjectType type, ReadOnlySpan<byte> content)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(LooseObjects.Header(type, content.Length));
        sha.AppendData(content);
        Span<byte> digest = stackalloc byte[GitObjectId.ByteLength];
        sha.GetHashAndReset(digest);
        return new GitObjectId(digest);
    }

    /// <summary>
    /// The id git gives a blob of exactly <paramref name="length"/> bytes streamed from <paramref name="content"/>,
    /// stored nowhere; null if the source holds more or fewer bytes (it changed while it was read).
    /// </summary>
    public static GitObjectId? HashBlob(Stream content, long length, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(LooseObjects.Header(GitObjectType.Blob, length));
        var buffer = ArrayPool<byte>.Shared.Rent(SmallBlobBytes);
        try
        {
            long total = 0;
            int read;
            while (total <= length && (read = content.Read(buffer, 0, (int)Math.Min(buffer.Length, length - total + 1))) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                total += read;
                sha.AppendData(buffer, 0, read);
            }
            if (total != length) return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Span<byte> digest = stackalloc byte[GitObjectId.ByteLength];
        sha.GetHashAndReset(digest);
        return new GitObjectId(digest);
    }

    /// <summary>Writes a tree object from its entries (in any order: they are put in git's order).</summary>
    public GitObjectId WriteTree(IEnumerable<TreeEntry> entries)
    {
        var sorted = entries.ToList();
        sorted.Sort(TreeEntry.GitOrder);
        var buffer = new ArrayBufferWriter<byte>();
        Span<byte> raw = stackalloc byte[GitObjectId.ByteLength];
        foreach (var e in sorted)
        {
            Encoding.ASCII.GetBytes(TreeEntry.ModeText(e.Mode) + " ", buffer);
            Encoding.UTF8.GetBytes(e.Name, buffer);
            buffer.Write([(byte)0]);
            e.Id.WriteTo(raw);
            buffer.Write(raw);
        }
        return WriteObject(GitObjectType.Tree, buffer.WrittenSpan);
    }

    /// <summary>Reads a tree's entries, in git order.</summary>
    public IReadOnlyList<TreeEntry> ReadTree(GitObjectId id)
    {
        var data = ReadSmallObject(id, GitObjectType.Tree);
        var entries = new List<TreeEntry>();
        var span = data.AsSpan();
        while (!span.IsEmpty)
        {
            var space = span.IndexOf((byte)' ');
            var nul = span.IndexOf((byte)0);
            if (space < 0 || nul < space || nul + 1 + GitObjectId.ByteLength > span.Length)
            {
                throw new CorruptObjectException(id, GitDir, "the tree is malformed");
            }
            var mode = int.Parse(Encoding.ASCII.GetString(span[..space]), NumberStyles.None, CultureInfo.InvariantCulture);
            var modeValue = Convert.ToInt32(mode.ToString(CultureInfo.InvariantCulture), 8);
            var name = Encoding.UTF8.GetString(span[(space + 1)..nul]);
            var entryId = new GitObjectId(span.Slice(nul + 1, GitObjectId.ByteLength));
            entries.Add(new TreeEntry(name, (EntryMode)modeValue, entryId));
            span = span[(nul + 1 + GitObjectId.ByteLength)..];
        }
        return entries;
    }

    /// <summary>The whole content of a small object (a tree, commit or tag) that must be of <paramref name="expected"/> type.</summary>
    internal byte[] ReadSmallObject(GitObjectId id, GitObjectType expected)
    {
        using var stream = OpenObject(id, out var type, out var size);
        if (type != expected)
        {
            throw new CorruptObjectException(id, GitDir, $"it is a {GitObjectTypes.Name(type)}, not a {GitObjectTypes.Name(expected)}");
        }
        if (size > MaxSmallObjectBytes)
        {
            throw new CorruptObjectException(id, GitDir, $"a {GitObjectTypes.Name(type)} of {size} bytes is too large");
        }
        var data = new byte[size];
        stream.ReadExactly(data);
        return data;
    }

    /// <summary>The object's type and content size, read from its header without inflating its content.</summary>
    public (string Type, long Size) ReadHeader(GitObjectId id)
    {
        var (type, size) = ReadTypeAndSize(id);
        return (GitObjectTypes.Name(type), size);
    }

    internal (GitObjectType Type, long Size) ReadTypeAndSize(GitObjectId id)
    {
        using (var direct = TryOpenLooseFirst(id, out var directType, out var directSize))
        {
            if (direct is not null) return (directType, directSize);
        }
        for (var attempt = 0; ; attempt++)
        {
            if (!TryLocate(id, out var pack, out var offset)) throw new MissingObjectException(id, GitDir);
            try
            {
                if (pack is not null) return DeltaChain.ReadHeader(this, pack, offset);
                using var loose = _loose.TryOpen(id, out var type, out var size);
                if (loose is not null) return (type, size);
            }
            catch (FileNotFoundException) when (attempt < RetriesAfterMove)
            {
                // Its pack was consolidated away between the lookup and the read: look again.
            }
            catch (InvalidDataException e)
            {
                throw new CorruptObjectException(id, GitDir, e.Message.TrimEnd('.'), e);
            }
            if (attempt >= RetriesAfterMove) throw new MissingObjectException(id, GitDir);
            Packs.Refresh();
        }
    }

    /// <summary>Opens a blob's content as a forward-only stream produced as it is read (bounded memory).</summary>
    public BlobStream OpenBlob(GitObjectId id)
    {
        var stream = OpenObject(id, out var type, out _);
        if (type != GitObjectType.Blob)
        {
            stream.Dispose();
            throw new CorruptObjectException(id, GitDir, $"it is a {GitObjectTypes.Name(type)}, not a blob");
        }
        return stream;
    }

    /// <summary>Opens any object's content (forward-only), with its type and size.</summary>
    internal BlobStream OpenObject(GitObjectId id, out GitObjectType type, out long size)
    {
        if (TryOpenLooseFirst(id, out type, out size) is { } direct) return new BlobStream(direct, size, id, GitDir);
        for (var attempt = 0; ; attempt++)
        {
            if (!TryLocate(id, out var pack, out var offset)) throw new MissingObjectException(id, GitDir);
            try
            {
                var content = pack is not null ? DeltaChain.Open(this, pack, offset, out type, out size) : _loose.TryOpen(id, out type, out size);
                if (content is not null) return new BlobStream(content, size, id, GitDir);
            }
            catch (FileNotFoundException) when (attempt < RetriesAfterMove)
            {
                // Its pack was consolidated away between the lookup and the read: look again.
            }
            catch (InvalidDataException e)
            {
                throw new CorruptObjectException(id, GitDir, e.Message.TrimEnd('.'), e);
            }
            if (attempt >= RetriesAfterMove) throw new MissingObjectException(id, GitDir);
            Packs.Refresh();
        }
    }

    /// <summary>
    /// The content of an object in none of the packs already listed, opened loose at once (one open; looking it up
    /// first, as <see cref="TryLocate"/> does, costs an lstat more per read); null if it is in a listed pack or not
    /// loose, and the full lookup (packs listed again, a backed store's backend) decides.
    /// </summary>
    private Stream? TryOpenLooseFirst(GitObjectId id, out GitObjectType type, out long size)
    {
        type = default;
        size = 0;
        if (Packs.TryFind(id, out _, out _)) return null;
        try
        {
            return _loose.TryOpen(id, out type, out size);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptObjectException(id, GitDir, e.Message.TrimEnd('.'), e);
        }
    }

    /// <summary>A loose object's content (a delta chain that ends in a loose base reads it here).</summary>
    internal Stream OpenLooseOrThrow(GitObjectId id, out GitObjectType type, out long size) =>
        _loose.TryOpen(id, out type, out size) ?? throw new InvalidDataException($"the delta base {id} is no longer loose");

    /// <summary>Every object's id, packed then loose (an object in both is listed twice); opens no object.</summary>
    public IEnumerable<GitObjectId> EnumerateObjects()
    {
        Packs.Refresh();
        foreach (var pack in Packs.Packs)
        {
            for (var i = 0; i < pack.Index.Count; i++)
            {
                yield return pack.Index.IdAt(i);
            }
        }
        foreach (var (id, _) in _loose.Files())
        {
            yield return id;
        }
    }

    /// <summary>Where the loose copy of <paramref name="id"/> is or would be (the workspace agent's transfers read and write loose objects).</summary>
    public string LoosePath(GitObjectId id) => _loose.PathOf(id);
}
