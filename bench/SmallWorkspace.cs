namespace AgentSnapshots.Bench;

/// <summary>The small workspace of a load or http session: a few text files of some dozens of lines.</summary>
internal static class SmallWorkspace
{
    public const int Files = 4;

    /// <summary>Creates directory <paramref name="name"/> under <paramref name="root"/> with files f0.txt..f3.txt whose text names <paramref name="seed"/>.</summary>
    public static string Create(string root, string name, int seed)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        for (var f = 0; f < Files; f++)
        {
            var lines = Enumerable.Range(0, 40 + (f * 20)).Select(n => $"workspace {seed} file {f} line {n}: some source text of a small project");
            File.WriteAllLines(Path.Combine(dir, $"f{f}.txt"), lines);
        }
        return dir;
    }
}
