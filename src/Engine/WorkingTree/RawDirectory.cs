using System.Globalization;
using System.Text;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.WorkingTree.Reading;

namespace AgentSnapshots.Engine.WorkingTree;

/// <summary>
/// Directory names as the kernel holds them, bytes and all: a restore's "is this directory empty" (a directory
/// holding only names that are not valid UTF-8 is not empty, though .NET cannot open them), and the escaped
/// spelling of such names in reports.
/// </summary>
internal static class RawDirectory
{
    /// <summary>Whether the directory holds no entry at all (counting names .NET cannot spell); false if it cannot be read.</summary>
    public static bool IsEmpty(string directory)
    {
        try
        {
            using var opened = WorkingDirectory.OpenRoot(directory, portable: false);
            var entries = new List<DirectoryEntry>();
            var unrepresentable = new List<UnrepresentableEntry>();
            opened.ReadEntries(entries, unrepresentable);
            return entries.Count == 0 && unrepresentable.Count == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EngineException)
        {
            return false;
        }
    }

    /// <summary>The name with every byte that is not part of valid UTF-8 written as \xNN (as git quotes it, roughly).</summary>
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
}
