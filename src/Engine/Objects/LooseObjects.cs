using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace AgentSnapshots.Engine;

/// <summary>
/// The loose objects of a store: one zlib file per object under <c>objects/xx/</c>, holding "type size\0" and the
/// content. New objects are written through a temporary file and a rename, so a crash never leaves a half-written
/// object under its final name; content is streamed, never held whole.
/// </summary>
internal sealed class LooseObjects(string objectsDirectory)
{
    public const string TemporaryPrefix = "tmp_obj_";
    private const int ChunkBytes = 128 * 1024;

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
        FileStream file;
        try
        {
            file = new FileStream(PathOf(id), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            type = default;
            size = 0;
            return null;
        }
        var inflater = new ZLibStream(file, CompressionMode.Decompress, leaveOpen: false);
        try
        {
            (type, size) = ReadHeader(inflater);
            return inflater;
        }
        catch
        {
            inflater.Dispose();
            throw;
        }
    }

    private static (GitObjectType Type, long Size) ReadHeader(Stream inflater)
    {
        Span<byte> header = stackalloc byte[32];
        var n = 0;
        while (true)
        {
            var b = inflater.ReadByte();
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
        var tmp = Path.Combine(Directory, TemporaryPrefix + Guid.NewGuid().ToString("N"));
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
            var final = PathOf(id);
            if (File.Exists(final) || stored(id))
            {
                File.Delete(tmp);
                return id;
            }
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(final)!);
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
