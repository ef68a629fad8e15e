using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AgentSnapshots.Bench;

/// <summary>A benchmark case: how it writes each turn into the workspace, and a line saying what it is.</summary>
internal sealed record Scenario(string Name, string Description, Action<string, int> WriteTurn)
{
    /// <summary>Silo settings this scenario needs (environment variables), beyond the bench's own.</summary>
    public IReadOnlyDictionary<string, string> SiloSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether "at least 5x faster than git diff --numstat" is a target here (the seed scenario's).</summary>
    public bool BeatsGitDiff { get; init; }

    public static readonly string SeedScript = FindSeedScript();

    public static IReadOnlyList<Scenario> All { get; } =
    [
        Seed("seed-small", "seed scenario at 1/64: 2 MiB + 1.5 MiB + 8 KiB, every line changed", 2, 1.5, 8),
        Seed("seed", "seed scenario: 128 MiB + 96 MiB + 512 KiB of generated text, every line changed, one-line source edit", 128, 96, 512) with { BeatsGitDiff = true },
        new("append-log", "a 200 MiB log that grows by 1,000 lines", AppendLog),
        Seed("big-1g", "one 1 GiB generated file, every line changed (git calls it binary: over core.bigFileThreshold)", 1024, 0, 0),
        Seed("big-1g-text", "one 1 GiB generated file, every line changed, line-diffed (Summary:BinaryThresholdBytes 2 GiB)", 1024, 0, 0) with
        {
            SiloSettings = new Dictionary<string, string> { ["Snapshots__Summary__BinaryThresholdBytes"] = (2L << 30).ToString(CultureInfo.InvariantCulture) },
        },
    ];

    internal static Scenario Seed(string name, string description, double big1Mib, double big2Mib, double smallKib) =>
        new(name, description, (workspace, turn) => WriteSeedTurn(workspace, turn, big1Mib, big2Mib, smallKib));

    /// <summary>Writes turn <paramref name="turn"/> of the seed scenario (two big generated files and a small one, every line naming the turn).</summary>
    public static void WriteSeedTurn(string workspace, int turn, double big1Mib, double big2Mib, double smallKib) =>
        RunPython(SeedScript, workspace, turn.ToString(CultureInfo.InvariantCulture),
            "--big1-mib", big1Mib.ToString(CultureInfo.InvariantCulture),
            "--big2-mib", big2Mib.ToString(CultureInfo.InvariantCulture),
            "--small-kib", smallKib.ToString(CultureInfo.InvariantCulture));

    private static void AppendLog(string workspace, int turn)
    {
        var path = Path.Combine(workspace, "logs", "service.log");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var output = new StreamWriter(path, append: turn > 1, Encoding.UTF8, 1 << 20);
        if (turn == 1)
        {
            long written = 0;
            for (var i = 0; written < 200L << 20; i++)
            {
                var line = $"2026-11-23T12:00:00.{i % 1000:000}Z INFO request {i:D9} served in {i % 97} ms path=/api/items/{i % 4099}\n";
                output.Write(line);
                written += line.Length;
            }
        }
        else
        {
            for (var i = 0; i < 1000; i++)
            {
                output.Write($"2026-11-23T13:00:00.{i:000}Z WARN turn {turn} appended line {i}\n");
            }
        }
    }

    private static void RunPython(params string[] args)
    {
        var psi = new ProcessStartInfo("python3") { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"seed-turn.py exited with {p.ExitCode}");
    }

    private static string FindSeedScript()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            foreach (var candidate in new[] { Path.Combine(dir, "shared", "bench", "seed-turn.py"), Path.Combine(dir, "..", "shared", "bench", "seed-turn.py") })
            {
                if (File.Exists(candidate)) return Path.GetFullPath(candidate);
            }
        }
        return Environment.GetEnvironmentVariable("AGENTSNAPSHOTS_SEED_SCRIPT") ?? "../shared/bench/seed-turn.py";
    }
}
