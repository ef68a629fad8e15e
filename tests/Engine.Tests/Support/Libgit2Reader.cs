using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;
using TreeEntry = LibGit2Sharp.TreeEntry;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// libgit2 (through LibGit2Sharp) as a second reader of an object store, independent of the engine and of the git
/// binary: what any libgit2-based tool sees of a store. Each check reads through libgit2 and compares with git.
/// </summary>
public static class Libgit2Reader
{
    /// <summary>How many objects of each kind both readers found.</summary>
    public sealed record Census(int Blobs, int Trees, int Commits);

    /// <summary>
    /// Every object of the store, loose or packed, read in full by libgit2 with its own hash check on, and compared with
    /// git: the same set of ids, each of the same kind and size; each blob's bytes hash to its id; each tree's entries,
    /// serialized again, hash to its id and equal <c>git ls-tree</c>'s; each commit's tree, parents, signatures and
    /// message equal what <c>git cat-file commit</c> shows.
    /// </summary>
    public static Census ReadsEveryObjectAsGitDoes(string gitDir)
    {
        // libgit2 hashes each object it reads and fails on a mismatch (on by default; set here so a default changed
        // elsewhere in the process cannot turn the check off).
        GlobalSettings.SetStrictHashVerification(true);
        var listed = Git(gitDir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype) %(objectsize)")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToList();
        using var repo = new Repository(gitDir);
        Assert.Equal(
            listed.Select(o => o[0]).Order(StringComparer.Ordinal),
            repo.ObjectDatabase.Select(o => o.Sha).Order(StringComparer.Ordinal));
        int blobs = 0, trees = 0, commits = 0;
        foreach (var (id, kind, size) in listed.Select(o => (o[0], o[1], long.Parse(o[2], CultureInfo.InvariantCulture))))
        {
            var metadata = repo.ObjectDatabase.RetrieveObjectMetadata(new ObjectId(id));
            Assert.Equal(size, metadata.Size);
            switch (repo.Lookup(id))
            {
                case Blob blob:
                    Assert.Equal("blob", kind);
                    using (var content = blob.GetContentStream())
                    {
                        Assert.Equal(id, BareRepository.BlobIdOf(content, size));
                    }
                    blobs++;
                    break;
                case Tree tree:
                    Assert.Equal("tree", kind);
                    Assert.Equal(id, TreeIdOf(tree));
                    Assert.Equal(GitTreeListing(gitDir, id), tree.Select(Listed));
                    trees++;
                    break;
                case Commit commit:
                    Assert.Equal("commit", kind);
                    Assert.Equal(GitCommitFields(gitDir, id), Fields(commit));
                    commits++;
                    break;
                case var other:
                    Assert.Fail($"libgit2 read {id} as {other?.GetType().Name ?? "nothing"}; git lists a {kind}");
                    break;
            }
        }
        return new Census(blobs, trees, commits);
    }

    /// <summary>
    /// The commits libgit2 walks from <paramref name="refName"/>, newest first, each as its tree's id; the ref's target
    /// must be the commit git resolves it to.
    /// </summary>
    public static IReadOnlyList<string> TreesFromRef(string gitDir, string refName)
    {
        using var repo = new Repository(gitDir);
        var reference = repo.Refs[refName];
        Assert.NotNull(reference);
        Assert.Equal(Git(gitDir, "rev-parse", "--verify", refName).Trim(), reference.TargetIdentifier);
        return repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = refName, SortBy = CommitSortStrategies.Topological })
            .Select(c => c.Tree.Sha)
            .ToList();
    }

    /// <summary>The entry names of the tree the commit <paramref name="refName"/> names, as libgit2 reads them.</summary>
    public static IReadOnlyList<string> EntryNamesAtRef(string gitDir, string refName)
    {
        using var repo = new Repository(gitDir);
        return repo.Lookup<Commit>(repo.Refs[refName]!.TargetIdentifier).Tree.Select(e => e.Name).ToList();
    }

    /// <summary>A tree object rebuilt from libgit2's entries (git's format: octal mode, name, NUL, raw id), hashed.</summary>
    private static string TreeIdOf(Tree tree)
    {
        using var body = new MemoryStream();
        foreach (var entry in tree)
        {
            body.Write(Encoding.UTF8.GetBytes($"{Convert.ToString((int)entry.Mode, 8)} {entry.Name}\0"));
            body.Write(entry.Target.Id.RawId);
        }
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(Encoding.ASCII.GetBytes($"tree {body.Length.ToString(CultureInfo.InvariantCulture)}\0"));
        sha.AppendData(body.ToArray());
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>An entry as <c>git ls-tree</c> prints it.</summary>
    private static string Listed(TreeEntry entry) =>
        $"{Convert.ToString((int)entry.Mode, 8).PadLeft(6, '0')} {entry.TargetType.ToString().ToLowerInvariant()} {entry.Target.Sha}\t{entry.Name}";

    private static string[] GitTreeListing(string gitDir, string id) =>
        Git(gitDir, "ls-tree", "-z", id).Split('\0', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A commit's fields in the raw commit's words: tree, parents, author and committer lines, message.</summary>
    private static List<string> Fields(Commit commit) =>
    [
        $"tree {commit.Tree.Sha}",
        .. commit.Parents.Select(p => $"parent {p.Sha}"),
        $"author {Signed(commit.Author)}",
        $"committer {Signed(commit.Committer)}",
        commit.Message,
    ];

    private static string Signed(Signature who)
    {
        var offset = who.When.Offset;
        var zone = $"{(offset < TimeSpan.Zero ? '-' : '+')}{Math.Abs(offset.Hours):D2}{Math.Abs(offset.Minutes):D2}";
        return $"{who.Name} <{who.Email}> {who.When.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} {zone}";
    }

    /// <summary>The raw commit as git prints it, cut into its header lines and its message.</summary>
    private static List<string> GitCommitFields(string gitDir, string id)
    {
        var raw = Git(gitDir, "cat-file", "commit", id);
        var split = raw.IndexOf("\n\n", StringComparison.Ordinal);
        return [.. raw[..split].Split('\n'), raw[(split + 2)..]];
    }

    private static string Git(string gitDir, params string[] args) =>
        Support.Git.Run(Path.GetDirectoryName(gitDir)!, ["--git-dir", gitDir, .. args]);
}
