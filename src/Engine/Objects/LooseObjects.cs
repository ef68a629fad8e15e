using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using AgentSnapshots.Engine.Foundation;
using Microsoft.Win32.SafeHandles;

namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// The loose objects of a store: one zlib file per object under <c>objects/xx/</c>, holding "type size\0" and the
/// content. New objects are written through a temporary file and a rename, so a crash never leaves a half-written
/// object under its final name; content is streamed, never held whole.
/// </summary>
internal sealed class LooseObjects(string objectsDirectory)
{
    public const string TemporaryPrefix = "tmp_obj_";
    private const int ChunkBytes = 128 * 1024;

    /// <summary>Object files up to this size are read whole when opened.</summary>
    private const int SmallFileBytes = 64 * 1024;

    /// <summary>Fan-out directories (objects/xx) this object created or wrote into: the next object there needs no mkdir. Racy reads are harmless (a redundant mkdir).</summary>
    private readonly bool[] _fanOutSeen = new bool[256];

    /// <summary>This process's part of temporary file names (see <see cref="NewTemporaryPath"/>), and the count after it.</summary>
    private static readonly string s_processTag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + "_";
    private static long s_temporaryCount;

    public string Directory { get; } = objectsDirectory;

    public string PathOf(GitObjectId id)
    {
        var hex = id.ToHex();
        return Path.Combine(Directory, hex[..2], hex[2..]);
    }

    public bool Contains(GitObjectId id) => File.Exists(PathOf(id));

    /// <summary>Opens the object's content after its header, or returns null if there is no such loose object.</summary>
    public Stream? TryOpen(GitObjectId id, out GitObjectType type, out long size)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(PathOf(id), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            type = default;
            size = 0;
            return null;
        }
        Stream compressed;
        try
        {
            compressed = OpenCompressed(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        // A stored stream (see ZLibStored) is its own content; anything else goes through an inflater.
        var content = compressed is MemoryStream whole && whole.TryGetBuffer(out var bytes) && ZLibStored.TryUnwrap(bytes, out var stored)
            ? new MemoryStream(stored.Array!, stored.Offset, stored.Count, writable: false)
            : (Stream)new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: false);
        try
        {
            (type, size) = ReadHeader(content);
            return content;
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The object file's bytes as a stream: a small file (most trees, commits and source files) read whole in one
    /// call and closed at once, a large one through a buffered stream that owns <paramref name="handle"/>.
    /// </summary>
    private static Stream OpenCompressed(SafeFileHandle handle)
    {
        var length = RandomAccess.GetLength(handle);
        if (length > SmallFileBytes)
        {
            return new FileStream(handle, FileAccess.Read, 1 << 16);
        }
        using (handle)
        {
            var bytes = new byte[length];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0) break;
                read += n;
            }
            return new MemoryStream(bytes, 0, read, writable: false, publiclyVisible: true);
        }
    }

    private static (GitObjectType Type, long Size) ReadHeader(Stream content)
    {
        Span<byte> header = stackalloc byte[32];
        var n = 0;
        while (true)
        {
            var b = content.ReadByte();
            if (b < 0 || n == header.Length) throw new InvalidDataException("it has no valid header");
            if (b == 0) break;
            header[n++] = (byte)b;
        }
        var text = Encoding.ASCII.GetString(header[..n]);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0
            || !GitObjectTypes.TryParse(text.AsSpan(0, space), out var type)
            || !long.TryParse(text.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new InvalidDataException($"it has a malformed header '{MessageText.Shown(text)}'");
        }
        return (type, size);
    }

    public static byte[] Header(GitObjectType type, long length) =>
        Encoding.ASCII.GetBytes(GitObjectTypes.Name(type) + " " + length.ToString(CultureInfo.InvariantCulture) + "\0");

    /// <summary>
    /// Streams exactly <paramref name="length"/> bytes of <paramref name="content"/> into a new loose object, unless
    /// <paramref name="stored"/> says the store already holds it. Throws <see cref="ContentLengthChangedException"/>
    /// if the source holds more or fewer bytes; nothing is left behind then.
    /// </summary>
    public GitObjectId Write(GitObjectType type, Stream content, long length, Func<GitObjectId, bool> stored, CancellationToken cancellationToken)
    {
        var header = Header(type, length);
        var tmp = NewTemporaryPath();
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
            if (stored(id))
            {
                File.Delete(tmp);
                return id;
            }
            Publish(tmp, id);
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

    /// <summary>
    /// Writes an object held in memory whose id the caller computed (and found missing): compressed in memory (left
    /// uncompressed if it fits one file-system block either way, see <see cref="ZLibStored"/>), written to a
    /// temporary file in one call, renamed into place. A few system calls, where a streamed write takes a dozen.
    /// </summary>
    public void WriteSmall(GitObjectType type, ReadOnlySpan<byte> content, GitObjectId id)
    {
        var header = Header(type, content.Length);
        ReadOnlySpan<byte> file;
        if (header.Length + content.Length <= ZLibStored.MaxContent)
        {
            file = ZLibStored.Wrap(header, content);
        }
        else
        {
            var compressed = new MemoryStream(content.Length / 2 + 64);
            using (var deflater = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflater.Write(header);
                deflater.Write(content);
            }
            file = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        }
        var tmp = NewTemporaryPath();
        try
        {
            using (var handle = File.OpenHandle(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(handle, file, 0);
            }
            Publish(tmp, id);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Renames a written temporary file to the object's name, creating its fan-out directory only when the rename
    /// says it is missing. An object of that name already there is replaced: objects are immutable, so it holds the
    /// same content (a second writer of the same object costs a rename, never a wrong object).
    /// </summary>
    private void Publish(string tmp, GitObjectId id)
    {
        var final = PathOf(id);
        var fanOut = id.FirstByte;
        if (!_fanOutSeen[fanOut])
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            _fanOutSeen[fanOut] = true;
        }
        try
        {
            File.Move(tmp, final, overwrite: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Removed since this object saw it (collection drops emptied fan-out directories).
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(tmp, final, overwrite: true);
        }
    }

    /// <summary>Every loose object file with its id (the directory listing only: no file is opened).</summary>
    public IEnumerable<(GitObjectId Id, FileInfo File)> Files()
    {
        var objects = new DirectoryInfo(Directory);
        if (!objects.Exists) yield break;
        foreach (var dir in objects.EnumerateDirectories())
        {
            if (dir.Name.Length != 2 || !Uri.IsHexDigit(dir.Name[0]) || !Uri.IsHexDigit(dir.Name[1])) continue;
            foreach (var file in dir.EnumerateFiles())
            {
                if (GitObjectId.TryParse(dir.Name + file.Name, out var id))
                {
                    yield return (id, file);
                }
            }
        }
    }

    /// <summary>
    /// A name no other writer uses: this process's random tag and a counter (a GUID per object would read the
    /// kernel's random source once per object). Created with CreateNew, so a clash could only fail, never mix files.
    /// </summary>
    private string NewTemporaryPath() =>
        Path.Combine(Directory, TemporaryPrefix + s_processTag + Interlocked.Increment(ref s_temporaryCount).ToString("x", CultureInfo.InvariantCulture));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
