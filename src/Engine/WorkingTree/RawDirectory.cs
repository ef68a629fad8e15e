using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace AgentSnapshots.Engine;

/// <summary>
/// A directory's entry names as the kernel returns them (opendir/readdir64), bytes and all. .NET's directory
/// enumeration silently drops entries whose names are not valid UTF-8 (they cannot be spelled as .NET strings), so
/// a walk built on it alone would leave such files out of a snapshot unreported and a restore would think a
/// directory holding only them is empty. This class sees them.
/// </summary>
internal static partial class RawDirectory
{
    // struct dirent64 on 64-bit Linux (glibc and musl): d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
    private const int NameOffset = 19;
    private const int TypeOffset = 18;
    private const byte TypeDirectory = 4;

    /// <summary>An entry whose name is not valid UTF-8: its raw bytes, and whether it is (by d_type) a directory.</summary>
    public readonly record struct InvalidName(byte[] Bytes, bool IsDirectory)
    {
        /// <summary>The name with every byte that is not part of valid UTF-8 written as \xNN (as git quotes it, roughly).</summary>
        public string Display => Escape(Bytes);
    }

    /// <summary>
    /// The entries of <paramref name="directory"/> whose names are not valid UTF-8 (usually none). Empty when the
    /// directory cannot be opened: the caller's own enumeration reports that failure.
    /// </summary>
    public static List<InvalidName> InvalidNames(string directory)
    {
        var result = new List<InvalidName>();
        ForEach(directory, (name, type) =>
        {
            if (!Utf8.IsValid(name)) result.Add(new InvalidName(name.ToArray(), type == TypeDirectory));
            return true;
        });
        return result;
    }

    /// <summary>Whether the directory holds no entry at all (counting names .NET cannot see); false if it cannot be read.</summary>
    public static bool IsEmpty(string directory)
    {
        var empty = true;
        var opened = ForEach(directory, (_, _) =>
        {
            empty = false;
            return false;
        });
        return opened && empty;
    }

    private delegate bool EntryVisitor(ReadOnlySpan<byte> name, byte type);

    private static unsafe bool ForEach(string directory, EntryVisitor visit)
    {
        var handle = OpenDir(directory);
        if (handle == IntPtr.Zero) return false;
        try
        {
            while (true)
            {
                var entry = ReadDir64(handle);
                if (entry == IntPtr.Zero) return true;
                var namePtr = (byte*)entry + NameOffset;
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(namePtr);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                if (!visit(name, *((byte*)entry + TypeOffset))) return true;
            }
        }
        finally
        {
            _ = CloseDir(handle);
        }
    }

    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 8);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var r, out var consumed) == System.Buffers.OperationStatus.Done)
            {
                sb.Append(r.ToString());
                bytes = bytes[consumed..];
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{bytes[0]:x2}");
                bytes = bytes[1..];
            }
        }
        return sb.ToString();
    }

    [LibraryImport("libc", EntryPoint = "opendir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr OpenDir(string path);

    [LibraryImport("libc", EntryPoint = "readdir64")]
    private static partial IntPtr ReadDir64(IntPtr dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(IntPtr dir);
}
