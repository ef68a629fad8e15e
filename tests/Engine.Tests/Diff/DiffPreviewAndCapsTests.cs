using AgentSnapshots.Engine;
using System.Text;
using System.Text.Json;
using AgentSnapshots.Engine.Diff;

namespace AgentSnapshots.Tests.Engine.Diff;

/// <summary>Patch previews (as git prints them for simple edits) and the summary's size caps.</summary>
public sealed class DiffPreviewAndCapsTests : IDisposable
{
    private readonly DiffFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static string Lines(int from, int count, string tag = "line") =>
        string.Concat(Enumerable.Range(from, count).Select(i => $"{tag} {i}\n"));

    private static string Hunks(string gitPatch)
    {
        var at = gitPatch.IndexOf("@@", StringComparison.Ordinal);
        return at < 0 ? "" : gitPatch[at..];
    }

    public static TheoryData<string> SimpleShapes => new()
    {
        "middle-edit", "append", "prepend", "truncate", "two-hunks", "merged-hunks", "no-newline", "function", "added", "deleted", "crlf",
    };

    private static (string Old, string New) Shape(string name)
    {
        var text = Lines(0, 40);
        return name switch
        {
            "middle-edit" => (text, Lines(0, 20) + "changed\n" + Lines(21, 19)),
            "append" => (text, text + "extra 1\nextra 2\n"),
            "prepend" => (text, "first\n" + text),
            "truncate" => (text, Lines(0, 35)),
            "two-hunks" => (text, Lines(0, 5) + "a\n" + Lines(6, 20) + "b\n" + Lines(27, 13)),
            "merged-hunks" => (text, Lines(0, 5) + "a\n" + Lines(6, 5) + "b\n" + Lines(12, 28)),
            "no-newline" => (text + "last", text + "last changed"),
            "function" => ("int main()\n{\n" + text + "}\n", "int main()\n{\n" + Lines(0, 30) + "edited\n" + Lines(31, 9) + "}\n"),
            "added" => ("", "one\ntwo\n"),
            "deleted" => ("one\ntwo\n", ""),
            "crlf" => ("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n"),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Theory]
    [MemberData(nameof(SimpleShapes))]
    public void Preview_of_a_simple_edit_is_gits_hunks(string name)
    {
        var (oldText, newText) = Shape(name);
        var files = new List<(string, AgentSnapshots.Engine.Objects.EntryMode, AgentSnapshots.Engine.Objects.GitObjectId)>();
        var from = _fx.Tree(oldText.Length > 0 || name != "added" ? [("f.txt", AgentSnapshots.Engine.Objects.EntryMode.RegularFile, _fx.Blob(oldText))] : files);
        var to = _fx.Tree(name != "deleted" ? [("f.txt", AgentSnapshots.Engine.Objects.EntryMode.RegularFile, _fx.Blob(newText))] : files);
        var summary = _fx.Summarize(from, to);
        var f = Assert.Single(summary.Files);
        Assert.Equal(Hunks(_fx.GitPatch(from, to, "f.txt")), f.Patch);
        Assert.False(f.Truncated);
        Assert.True(f.Exact);
    }

    [Fact]
    public void Preview_of_a_large_rewrite_is_cut_at_a_line_and_marked_truncated()
    {
        var from = _fx.Tree(new Dictionary<string, string> { ["big.txt"] = Lines(0, 5000, "old") });
        var to = _fx.Tree(new Dictionary<string, string> { ["big.txt"] = Lines(0, 5000, "new") });
        var options = new SummaryOptions { MaxPatchBytesPerFile = 1024 };
        var f = Assert.Single(_fx.Summarize(from, to, options).Files);
        Assert.True(f.Exact);
        Assert.Equal((5000L, 5000L), (f.Additions, f.Deletions));
        Assert.True(f.Truncated);
        Assert.True(Encoding.UTF8.GetByteCount(f.Patch) <= 1024);
        Assert.StartsWith("@@ -1,5000 +1,5000 @@\n-old 0\n", f.Patch, StringComparison.Ordinal);
        Assert.EndsWith("\n", f.Patch, StringComparison.Ordinal);
        Assert.Contains("\n+new 0\n", f.Patch, StringComparison.Ordinal); // both sides are shown
    }

    [Fact]
    public void Preview_cuts_long_lines_and_replaces_invalid_utf8()
    {
        var oldBytes = Encoding.ASCII.GetBytes("a\n" + new string('x', 5000) + "\nz\n");
        var newBytes = new byte[] { (byte)'a', (byte)'\n', 0xFF, 0xC3, (byte)'\n', (byte)'z', (byte)'\n' };
        var from = _fx.Tree(new Dictionary<string, byte[]> { ["f.txt"] = oldBytes });
        var to = _fx.Tree(new Dictionary<string, byte[]> { ["f.txt"] = newBytes });
        var f = Assert.Single(_fx.Summarize(from, to, new SummaryOptions { MaxPreviewLineBytes = 100 }).Files);
        Assert.True(f.Truncated);
        Assert.Contains("-" + new string('x', 100) + "\n", f.Patch, StringComparison.Ordinal);
        Assert.Contains("+\uFFFD", f.Patch, StringComparison.Ordinal);
        Assert.Equal((1L, 1L), (f.Additions, f.Deletions));
    }

    [Fact]
    public void Max_files_lists_the_first_files_and_counts_the_rest()
    {
        var oldFiles = Enumerable.Range(0, 30).ToDictionary(i => $"f{i:D2}.txt", i => Lines(0, 10));
        var newFiles = Enumerable.Range(0, 30).ToDictionary(i => $"f{i:D2}.txt", i => Lines(0, 10) + $"added {i}\n");
        var from = _fx.Tree(oldFiles);
        var to = _fx.Tree(newFiles);
        var summary = _fx.Summarize(from, to, new SummaryOptions { MaxFiles = 7 });
        Assert.Equal(30, summary.FileCount);
        Assert.Equal(7, summary.Files.Count);
        Assert.Equal(23, summary.OmittedFiles);
        Assert.Equal(30, summary.Additions);
        Assert.Equal(0, summary.Deletions);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"f{i:D2}.txt"), summary.Files.Select(f => f.File));
    }

    [Fact]
    public void Summary_stays_under_max_bytes_dropping_patches_then_files()
    {
        var oldFiles = Enumerable.Range(0, 60).ToDictionary(i => $"dir/file-with-a-longish-name-{i:D3}.txt", i => Lines(0, 300, "old"));
        var newFiles = Enumerable.Range(0, 60).ToDictionary(i => $"dir/file-with-a-longish-name-{i:D3}.txt", i => Lines(0, 300, "new<&>'\"\u00e9"));
        var from = _fx.Tree(oldFiles);
        var to = _fx.Tree(newFiles);
        var options = new SummaryOptions { MaxSummaryBytes = 8 * 1024, MaxPatchBytesPerFile = 2048 };
        var summary = _fx.Summarize(from, to, options);
        var json = JsonSerializer.Serialize(summary);
        Assert.True(Encoding.UTF8.GetByteCount(json) < options.MaxSummaryBytes, $"{json.Length} bytes");
        Assert.Equal(60, summary.FileCount);
        Assert.True(summary.OmittedFiles > 0);
        Assert.Equal(summary.FileCount - summary.Files.Count, summary.OmittedFiles);
        Assert.Equal(60 * 300, summary.Additions);

        // Fewer files: all are listed, the first patches are kept and the later ones dropped.
        var few = _fx.Summarize(from, to, new SummaryOptions { MaxSummaryBytes = 16 * 1024, MaxPatchBytesPerFile = 2048, MaxFiles = 20 });
        var fewJson = JsonSerializer.Serialize(few);
        Assert.True(Encoding.UTF8.GetByteCount(fewJson) < 16 * 1024, $"{fewJson.Length} bytes");
        Assert.Equal(20, few.Files.Count);
        Assert.True(few.Files[0].Patch.Length > 0);
        Assert.Contains(few.Files, f => f.Patch.Length == 0 && f.Truncated);

        // A generous cap keeps every file and patch.
        var roomy = _fx.Summarize(from, to, new SummaryOptions { MaxSummaryBytes = 1 << 22, MaxPatchBytesPerFile = 2048 });
        Assert.Equal(0, roomy.OmittedFiles);
        Assert.All(roomy.Files, f => Assert.True(f.Patch.Length > 0 && Encoding.UTF8.GetByteCount(f.Patch) <= 2048));
    }

    [Fact]
    public void Json_estimate_is_an_upper_bound_of_the_default_serializer()
    {
        var s = "plain <tag> & 'q' \"dq\" \\ \u00e9\u4e2d\U0001F600 \r\n\t\u0001";
        Assert.True(DiffSummaryBuilder.JsonStringBytes(s) >= Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(s)));
    }
}
