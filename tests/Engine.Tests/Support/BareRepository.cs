using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AgentSnapshots.Tests.Support;

/// <summary>A bare repository built with git's own plumbing (hash-object, mktree, commit-tree), for packs made by git.</summary>
public sealed class BareRepository
{
    private readonly string _scratch;

    public BareRepository(string gitDir)
    {
        GitDir = gitDir;
        _scratch = gitDir + ".scratch";
        Directory.CreateDirectory(_scratch);
        Git.Run(Path.GetDirectoryName(gitDir)!, "init", "-q", "--bare", gitDir);
    }

    public string GitDir { get; }

    public string Run(params string[] args) => Git.Run(_scratch, ["--git-dir", GitDir, .. args]);

    /// <summary>Stores a file's content as a blob (through a file, so any bytes go).</summary>
    public string WriteBlob(string text) => WriteBlob(Encoding.UTF8.GetBytes(text));

    public string WriteBlob(byte[] content)
    {
        var file = Path.Combine(_scratch, "blob");
        File.WriteAllBytes(file, content);
        return Run("hash-object", "-w", file).Trim();
    }

    /// <summary>Commits a flat tree of <paramref name="files"/> (name to blob id) on top of <paramref name="parent"/> and points refs/heads/main at it.</summary>
    public (string Commit, string Tree) Commit(IReadOnlyDictionary<string, string> files, string? parent)
    {
        var listing = string.Concat(files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"100644 blob {f.Value}\t{f.Key}\n"));
        var tree = Git.RunWithInput(_scratch, listing, "--git-dir", GitDir, "mktree").Trim();
        var commit = parent is null
            ? Run("commit-tree", tree, "-m", "version")
            : Run("commit-tree", tree, "-p", parent, "-m", "version");
        commit = commit.Trim();
        Run("update-ref", "refs/heads/main", commit);
        return (commit, tree);
    }

    /// <summary>Each pack's delta chains as <c>git verify-pack -v</c> reports them: chain length to object count.</summary>
    public IReadOnlyDictionary<int, int> ChainLengths()
    {
        var result = new Dictionary<int, int>();
        foreach (var idx in Directory.EnumerateFiles(Path.Combine(GitDir, "objects", "pack"), "*.idx"))
        {
            foreach (var line in Run("verify-pack", "-v", idx).Split('\n'))
            {
                // "chain length = 3: 7 objects"
                if (!line.StartsWith("chain length = ", StringComparison.Ordinal)) continue;
                var parts = line["chain length = ".Length..].Split(':');
                var length = int.Parse(parts[0], CultureInfo.InvariantCulture);
                var count = int.Parse(parts[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                result[length] = result.GetValueOrDefault(length) + count;
            }
        }
        return result;
    }

    /// <summary>The git blob id of whatever <paramref name="content"/> streams (reads it to the end).</summary>
    public static string BlobIdOf(Stream content, long length)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(Encoding.ASCII.GetBytes($"blob {length.ToString(CultureInfo.InvariantCulture)}\0"));
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = content.Read(buffer, 0, buffer.Length)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }
        Assert.Equal(length, total);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
