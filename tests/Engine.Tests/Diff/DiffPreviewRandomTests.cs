namespace AgentSnapshots.Tests.Engine.Diff;

/// <summary>Previews of small random edits (replaced and inserted lines amid repeated lines) equal git's hunks.</summary>
public sealed class DiffPreviewRandomTests(ITestOutputHelper output) : IDisposable
{
    private readonly DiffFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public void Previews_of_small_random_edits_equal_gits_hunks()
    {
        var random = new Random(99);
        var oldFiles = new Dictionary<string, string>();
        var newFiles = new Dictionary<string, string>();
        for (var f = 0; f < 60; f++)
        {
            var lines = Enumerable.Range(0, random.Next(5, 80)).Select(i => random.Next(3) == 0 ? "}" : random.Next(4) == 0 ? "" : $"code {f} {i % 7}").ToList();
            var edited = new List<string>(lines);
            for (var e = 0; e < random.Next(1, 4); e++)
            {
                var at = random.Next(edited.Count);
                if (random.Next(2) == 0) edited[at] = "changed " + e;
                else edited.Insert(at, "inserted " + e);
            }
            oldFiles[$"f{f:D2}.txt"] = string.Join('\n', lines) + "\n";
            newFiles[$"f{f:D2}.txt"] = string.Join('\n', edited) + "\n";
        }
        var from = _fx.Tree(oldFiles);
        var to = _fx.Tree(newFiles);
        var summary = _fx.Summarize(from, to);
        var differ = 0;
        foreach (var file in summary.Files)
        {
            var git = _fx.GitPatch(from, to, file.File);
            var hunks = git[git.IndexOf("@@", StringComparison.Ordinal)..];
            if (hunks != file.Patch)
            {
                differ++;
                output.WriteLine($"--- {file.File} truncated={file.Truncated}\nGIT:\n{hunks}\nOURS:\n{file.Patch}");
            }
        }
        Assert.Equal(0, differ);
    }
}
