using System.Text;
using AgentSnapshots.Engine;

namespace AgentSnapshots.Tests.Engine.Diff;

/// <summary>Line counts against git diff --minimal --numstat on many edit shapes, with the default and a tiny exact budget.</summary>
public sealed class DiffStatsTests : IDisposable
{
    private readonly DiffFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    /// <summary>
    /// Budgets: the defaults; one so small that every non-trivial middle takes the streaming path (filters, second
    /// pass); and one whose Myers work budget runs out at once.
    /// </summary>
    public static TheoryData<string> Budgets => new() { "default", "tiny", "nowork" };

    private static SummaryOptions Options(string budget) => budget switch
    {
        "tiny" => new SummaryOptions { ExactDiffMaxLines = 4, ExactDiffFilterBytes = 4096, MaxFiles = 1000, MaxSummaryBytes = 1 << 30 },
        "nowork" => new SummaryOptions { ExactDiffMaxWork = 1, MaxFiles = 1000, MaxSummaryBytes = 1 << 30 },
        _ => new SummaryOptions { MaxFiles = 1000, MaxSummaryBytes = 1 << 30 },
    };

    private static string Lines(int from, int count, string tag = "line") =>
        string.Concat(Enumerable.Range(from, count).Select(i => $"{tag} {i}\n"));

    /// <summary>Named edit shapes: (old, new) text, and whether the tiny budget must still be exact.</summary>
    private static List<(string Name, string Old, string New, bool ExactWhenTiny)> Shapes()
    {
        var baseText = Lines(0, 200);
        var list = new List<(string, string, string, bool)>
        {
            ("append", baseText, baseText + Lines(200, 50), true),
            ("truncate", baseText, Lines(0, 120), true),
            ("prepend", baseText, Lines(1000, 30, "new") + baseText, true),
            ("drop-head", baseText, Lines(40, 160), true),
            ("middle-edit", baseText, Lines(0, 100) + "changed\n" + Lines(101, 99), true),
            ("middle-insert", baseText, Lines(0, 100) + Lines(0, 20, "ins") + Lines(100, 100), true),
            ("middle-delete", baseText, Lines(0, 50) + Lines(150, 50), true),
            ("region-rewrite", baseText, Lines(0, 50) + Lines(0, 120, "rewritten") + Lines(150, 50), true),
            ("full-rewrite", baseText, Lines(0, 180, "other"), true),
            ("long-region-rewrite", Lines(0, 400), Lines(0, 100) + Lines(0, 80, "fresh") + Lines(200, 200), true),
            ("long-region-shared", Lines(0, 400), Lines(0, 100) + Lines(150, 10) + Lines(0, 80, "fresh") + Lines(200, 200), false),
            ("seed-like", Lines(0, 300, "turn 1"), Lines(0, 300, "turn 2"), true),
            ("crlf", baseText, baseText.Replace("\n", "\r\n", StringComparison.Ordinal), true),
            ("crlf-one-line", baseText, Lines(0, 10) + "line 10\r\n" + Lines(11, 189), true),
            ("drop-final-newline", baseText, baseText[..^1], true),
            ("add-final-newline", baseText[..^1], baseText, true),
            ("no-newline-both", "a\nb\nc", "a\nB\nc", true),
            ("empty-to-text", "", baseText, true),
            ("text-to-empty", baseText, "", true),
            ("single-line", "x", "y", true),
            ("blank-lines", string.Concat(Enumerable.Repeat("\n", 100)), string.Concat(Enumerable.Repeat("\n", 130)), true),
            ("repeated", string.Concat(Enumerable.Repeat("same\n", 50)) + "x\n", "y\n" + string.Concat(Enumerable.Repeat("same\n", 40)), false),
            ("scattered", baseText, Scatter(baseText, 7), false),
            ("swap-blocks", baseText, Lines(100, 100) + Lines(0, 100), false),
        };
        return list;
    }

    private static string Scatter(string text, int every)
    {
        var lines = text.Split('\n');
        var sb = new StringBuilder();
        for (var i = 0; i < lines.Length - 1; i++)
        {
            sb.Append(i % every == 3 ? $"edited {i}" : lines[i]).Append('\n');
        }
        return sb.ToString();
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void Edit_shapes_match_git(string budget)
    {
        var shapes = Shapes();
        var from = _fx.Tree(shapes.ToDictionary(s => s.Name + ".txt", s => s.Old));
        var to = _fx.Tree(shapes.ToDictionary(s => s.Name + ".txt", s => s.New));
        var summary = _fx.Summarize(from, to, Options(budget));
        _fx.AssertMatchesGit(from, to, summary, requireExact: false);
        foreach (var (name, _, _, exactWhenTiny) in shapes)
        {
            var f = summary.Files.Single(x => x.File == name + ".txt");
            if (budget == "default" || exactWhenTiny)
            {
                Assert.True(f.Exact, $"{name} should be exact with the {budget} budget");
            }
        }
        if (budget != "default")
        {
            // The bounded path is exercised: some files report honest upper bounds.
            Assert.Contains(summary.Files, f => !f.Exact);
        }
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void Added_deleted_binary_mode_and_symlink_changes_match_git(string budget)
    {
        var text = Lines(0, 20);
        var binary = new byte[100];
        binary[50] = 0;
        binary[0] = (byte)'a';
        var lateNul = Encoding.ASCII.GetBytes(Lines(0, 2000));
        lateNul[9000] = 0; // beyond git's 8000-byte probe: text
        var keep = _fx.Blob(text);
        var from = _fx.Tree([
            ("deleted.txt", EntryMode.RegularFile, _fx.Blob(text)),
            ("mode.sh", EntryMode.RegularFile, keep),
            ("link", EntryMode.Symlink, _fx.Blob("target/one")),
            ("bin.dat", EntryMode.RegularFile, _fx.Blob(binary)),
            ("late-nul.txt", EntryMode.RegularFile, _fx.Blob(Lines(0, 2000))),
            ("typechange", EntryMode.Symlink, _fx.Blob("somewhere")),
            ("dir/nested.txt", EntryMode.RegularFile, _fx.Blob(text)),
            ("submodule", EntryMode.Gitlink, GitObjectId.Parse(new string('1', 40))),
        ]);
        var binary2 = (byte[])binary.Clone();
        binary2[10] = (byte)'z';
        var to = _fx.Tree([
            ("added.txt", EntryMode.RegularFile, _fx.Blob(text)),
            ("mode.sh", EntryMode.ExecutableFile, keep),
            ("link", EntryMode.Symlink, _fx.Blob("target/two")),
            ("bin.dat", EntryMode.RegularFile, _fx.Blob(binary2)),
            ("late-nul.txt", EntryMode.RegularFile, _fx.Blob(lateNul)),
            ("typechange", EntryMode.RegularFile, _fx.Blob("somewhere\nelse\n")),
            ("dir/nested.txt", EntryMode.RegularFile, _fx.Blob(text + "more\n")),
            ("empty-added", EntryMode.RegularFile, _fx.Blob("")),
            ("submodule", EntryMode.Gitlink, GitObjectId.Parse(new string('2', 40))),
        ]);
        var summary = _fx.Summarize(from, to, Options(budget));
        _fx.AssertMatchesGit(from, to, summary, requireExact: true);
        var byName = summary.Files.ToDictionary(f => f.File);
        Assert.Equal(ChangeStatus.Added, byName["added.txt"].Status);
        Assert.Equal(ChangeStatus.Deleted, byName["deleted.txt"].Status);
        Assert.Equal(0, byName["deleted.txt"].NewSize);
        Assert.Equal(text.Length, byName["deleted.txt"].OldSize);
        var mode = byName["mode.sh"];
        Assert.Equal((ChangeStatus.Modified, 0L, 0L, true, ""), (mode.Status, mode.Additions, mode.Deletions, mode.Exact, mode.Patch));
        Assert.True(byName["bin.dat"].Binary);
        Assert.Equal("", byName["bin.dat"].Patch);
        Assert.False(byName["late-nul.txt"].Binary);
        Assert.Equal((1L, 1L), (byName["submodule"].Additions, byName["submodule"].Deletions));
        Assert.Equal((1L, 1L), (byName["link"].Additions, byName["link"].Deletions));
        Assert.Contains("-target/one\n\\ No newline at end of file\n+target/two\n\\ No newline at end of file\n", byName["link"].Patch, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void Random_edits_match_git(string budget)
    {
        // Files over a small vocabulary (many repeated lines, git's multi-match rules apply) with random edits.
        var random = new Random(12345);
        var oldFiles = new Dictionary<string, string>();
        var newFiles = new Dictionary<string, string>();
        for (var f = 0; f < 120; f++)
        {
            var vocabulary = random.Next(2, 40);
            var count = random.Next(0, 400);
            var lines = Enumerable.Range(0, count).Select(_ => $"v{random.Next(vocabulary)}").ToList();
            var edited = new List<string>(lines);
            var edits = random.Next(0, 12);
            for (var e = 0; e < edits; e++)
            {
                var at = random.Next(edited.Count + 1);
                switch (random.Next(3))
                {
                    case 0:
                        edited.InsertRange(at, Enumerable.Range(0, random.Next(1, 30)).Select(_ => $"v{random.Next(vocabulary + 5)}"));
                        break;
                    case 1:
                        if (at < edited.Count) edited.RemoveRange(at, Math.Min(random.Next(1, 30), edited.Count - at));
                        break;
                    default:
                        if (at < edited.Count) edited[at] = $"w{random.Next(vocabulary)}";
                        break;
                }
            }
            var trailingOld = random.Next(4) != 0 ? "\n" : "";
            var trailingNew = random.Next(4) != 0 ? "\n" : "";
            oldFiles[$"f{f:D3}.txt"] = string.Join('\n', lines) + (lines.Count > 0 ? trailingOld : "");
            newFiles[$"f{f:D3}.txt"] = string.Join('\n', edited) + (edited.Count > 0 ? trailingNew : "");
        }
        var from = _fx.Tree(oldFiles);
        var to = _fx.Tree(newFiles);
        var summary = _fx.Summarize(from, to, Options(budget));
        _fx.AssertMatchesGit(from, to, summary, requireExact: budget == "default");
    }

    [Fact]
    public void Multi_match_lines_in_large_files_follow_gits_discard_rule()
    {
        // Lines repeated more often than git's square-root limit, amid unmatched lines: xdiff drops them before
        // its minimal diff, so git's counts exceed the true minimum. Ours must equal git's.
        var random = new Random(7);
        var oldFiles = new Dictionary<string, string>();
        var newFiles = new Dictionary<string, string>();
        for (var f = 0; f < 30; f++)
        {
            var count = random.Next(200, 3000);
            var oldLines = new List<string>();
            var newLines = new List<string>();
            for (var i = 0; i < count; i++)
            {
                var r = random.Next(10);
                oldLines.Add(r < 3 ? "}" : r < 5 ? "" : $"old {f} {i}");
                var s = random.Next(10);
                newLines.Add(s < 3 ? "}" : s < 5 ? "" : s < 7 ? $"old {f} {i}" : $"new {f} {i}");
            }
            oldFiles[$"m{f}.txt"] = string.Join('\n', oldLines) + "\n";
            newFiles[$"m{f}.txt"] = string.Join('\n', newLines) + "\n";
        }
        var from = _fx.Tree(oldFiles);
        var to = _fx.Tree(newFiles);
        _fx.AssertMatchesGit(from, to, _fx.Summarize(from, to, Options("default")), requireExact: true);
    }

    [Fact]
    public void Long_lines_are_hashed_across_buffers()
    {
        var longLine = new string('x', 700_000);
        var oldText = "a\n" + longLine + "\nb\n" + longLine + "y";
        var newText = "a\n" + longLine + "z\nb\n" + longLine + "y";
        var from = _fx.Tree(new Dictionary<string, string> { ["long.txt"] = oldText, ["same-long.txt"] = longLine });
        var to = _fx.Tree(new Dictionary<string, string> { ["long.txt"] = newText, ["same-long.txt"] = longLine + "\n" });
        var summary = _fx.Summarize(from, to);
        _fx.AssertMatchesGit(from, to, summary, requireExact: true);
        var f = summary.Files.Single(x => x.File == "long.txt");
        Assert.True(f.Truncated);
        Assert.True(f.Patch.Length < 8 * 1024, f.Patch.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class DiffCancellationTests : IDisposable
{
    private readonly DiffFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public void A_cancelled_summary_throws()
    {
        var from = _fx.Tree(new Dictionary<string, string> { ["a.txt"] = "a\n" });
        var to = _fx.Tree(new Dictionary<string, string> { ["a.txt"] = "b\n" });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var builder = new AgentSnapshots.Engine.Diff.DiffSummaryBuilder(_fx.Store, new SummaryOptions());
        Assert.ThrowsAny<OperationCanceledException>(() => builder.Summarize(from, to, cts.Token));
    }
}
