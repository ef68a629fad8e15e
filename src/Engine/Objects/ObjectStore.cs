using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace AgentSnapshots.Engine;

public enum GitObjectType
{
    Blob,
    Tree,
}

/// <summary>
/// A git object database that belongs to the service (a bare repository layout, readable by git itself).
/// Objects are written as loose objects through a temporary file and a rename, so a crash never leaves
/// a half-written object under its final name; content is streamed, never held whole.
/// </summary>
public sealed class ObjectStore
{
    private const int ChunkBytes = 128 * 1024;
    private readonly string _objectsDir;

    private ObjectStore(string gitDir)
    {
        GitDir = gitDir;
        _objectsDir = Path.Combine(gitDir, "objects");
    }

    /// <summary>The store's directory (a bare git repository: <c>git --git-dir</c> reads it).</summary>
    public string GitDir { get; }

    /// <summary>Opens the store at <paramref name="gitDir"/>, creating the bare layout if it is absent.</summary>
    public static ObjectStore Open(string gitDir)
    {
        gitDir = Path.GetFullPath(gitDir);
        Directory.CreateDirectory(Path.Combine(gitDir, "objects", "info"));
        Directory.CreateDirectory(Path.Combine(gitDir, "objects", "pack"));
        Directory.CreateDirectory(Path.Combine(gitDir, "refs", "heads"));
        Directory.CreateDirectory(Path.Combine(gitDir, "refs", "tags"));
        WriteIfAbsent(Path.Combine(gitDir, "HEAD"), "ref: refs/heads/main\n");
        WriteIfAbsent(Path.Combine(gitDir, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n");
        return new ObjectStore(gitDir);
    }

    private static void WriteIfAbsent(string path, string text)
    {
        if (!File.Exists(path))
        {
            var tmp = path + ".tmp-" + Environment.ProcessId;
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
    }

    public bool Contains(GitObjectId id) => File.Exists(LoosePath(id));

    /// <summary>
    /// Streams exactly <paramref name="length"/> bytes from <paramref name="content"/> into a blob.
    /// Throws <see cref="ContentLengthChangedException"/> if the source holds more or fewer bytes
    /// (a file that changed while it was read); nothing is left behind then.
    /// </summary>
    public GitObjectId WriteBlob(Stream content, long length, CancellationToken cancellationToken = default) =>
        WriteStreamed(GitObjectType.Blob, content, length, cancellationToken);

    /// <summary>Writes a small object held in memory; one that is already stored (an unchanged tree) costs a hash and a stat.</summary>
    public GitObjectId WriteObject(GitObjectType type, ReadOnlySpan<byte> content)
    {
        var header = Header(type, content.Length);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(header);
        sha.AppendData(content);
        Span<byte> digest = stackalloc byte[GitObjectId.ByteLength];
        sha.GetHashAndReset(digest);
        var id = new GitObjectId(digest);
        if (Contains(id)) return id;
        using var ms = new MemoryStream(content.ToArray(), writable: false);
        return WriteStreamed(type, ms, content.Length, CancellationToken.None);
    }

    private static byte[] Header(GitObjectType type, long length) =>
        Encoding.ASCII.GetBytes((type == GitObjectType.Blob ? "blob " : "tree ") + length.ToString(CultureInfo.InvariantCulture) + "\0");

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
        using var stream = OpenObject(id, out var type, out var size);
        if (type != "tree")
        {
            throw new CorruptObjectException(id, GitDir, $"it is a {type}, not a tree");
        }
        if (size > int.MaxValue)
        {
            throw new CorruptObjectException(id, GitDir, $"a tree of {size} bytes is too large");
        }
        var data = new byte[size];
        stream.ReadExactly(data);
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

    /// <summary>The object's type and content size, read from its header without inflating its content.</summary>
    public (string Type, long Size) ReadHeader(GitObjectId id)
    {
        using var stream = OpenObject(id, out var type, out var size);
        return (type, size);
    }

    /// <summary>Opens a blob's content as a forward-only stream that inflates as it is read (constant memory).</summary>
    public BlobStream OpenBlob(GitObjectId id)
    {
        var stream = OpenObject(id, out var type, out var size);
        if (type != "blob")
        {
            stream.Dispose();
            throw new CorruptObjectException(id, GitDir, $"it is a {type}, not a blob");
        }
        return (BlobStream)stream;
    }

    /// <summary>Every loose object's id (for collection and checks); does not open the objects.</summary>
    public IEnumerable<GitObjectId> EnumerateObjects()
    {
        if (!Directory.Exists(_objectsDir)) yield break;
        foreach (var dir in Directory.EnumerateDirectories(_objectsDir))
        {
            var prefix = Path.GetFileName(dir);
            if (prefix.Length != 2) continue;
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                if (GitObjectId.TryParse(prefix + Path.GetFileName(file), out var id))
                {
                    yield return id;
                }
            }
        }
    }

    public string LoosePath(GitObjectId id)
    {
        var hex = id.ToHex();
        return Path.Combine(_objectsDir, hex[..2], hex[2..]);
    }

    private BlobStream OpenObject(GitObjectId id, out string type, out long size)
    {
        var path = LoosePath(id);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw new MissingObjectException(id, GitDir);
        }
        catch (DirectoryNotFoundException)
        {
            throw new MissingObjectException(id, GitDir);
        }
        var inflater = new ZLibStream(file, CompressionMode.Decompress, leaveOpen: false);
        try
        {
            (type, size) = ReadLooseHeader(inflater, id);
            return new BlobStream(inflater, size);
        }
        catch
        {
            inflater.Dispose();
            throw;
        }
    }

    private (string Type, long Size) ReadLooseHeader(Stream inflater, GitObjectId id)
    {
        Span<byte> header = stackalloc byte[32];
        var n = 0;
        while (true)
        {
            var b = inflater.ReadByte();
            if (b < 0 || n == header.Length)
            {
                throw new CorruptObjectException(id, GitDir, "it has no valid header");
            }
            if (b == 0) break;
            header[n++] = (byte)b;
        }
        var text = Encoding.ASCII.GetString(header[..n]);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !long.TryParse(text.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new CorruptObjectException(id, GitDir, $"it has a malformed header '{text}'");
        }
        return (text[..space], size);
    }

    private GitObjectId WriteStreamed(GitObjectType type, Stream content, long length, CancellationToken cancellationToken)
    {
        var header = Header(type, length);
        var tmp = Path.Combine(_objectsDir, "tmp_obj_" + Guid.NewGuid().ToString("N"));
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var deflater = new ZLibStream(file, CompressionLevel.Fastest, leaveOpen: true))
            {
                sha.AppendData(header);
                deflater.Write(header);
                long total = 0;
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var want = (int)Math.Min(buffer.Length, length - total + 1);
                    var read = content.Read(buffer, 0, want);
                    if (read == 0) break;
                    total += read;
                    if (total > length) break;
                    sha.AppendData(buffer, 0, read);
                    deflater.Write(buffer, 0, read);
                }
                if (total != length)
                {
                    throw new ContentLengthChangedException(length, total);
                }
            }
            Span<byte> digest = stackalloc byte[GitObjectId.ByteLength];
            sha.GetHashAndReset(digest);
            var id = new GitObjectId(digest);
            var final = LoosePath(id);
            if (File.Exists(final))
            {
                File.Delete(tmp);
                return id;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            try
            {
                File.Move(tmp, final, overwrite: false);
            }
            catch (IOException) when (File.Exists(final))
            {
                // Another writer stored the same content first: the object is immutable, so theirs is ours.
                File.Delete(tmp);
            }
            return id;
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>An object's content, inflated as it is read. <see cref="Length"/> comes from the object header.</summary>
public sealed class BlobStream(Stream inflater, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var remaining = length - _position;
        if (remaining <= 0) return 0;
        if (buffer.Length > remaining) buffer = buffer[..(int)remaining];
        var n = inflater.Read(buffer);
        if (n == 0)
        {
            throw new InvalidDataException($"Object content ends after {_position} of {length} bytes.");
        }
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inflater.Dispose();
        base.Dispose(disposing);
    }
}
