using AgentSnapshots.Tests.Processes;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>
/// git's tree of the workspace now, from a fresh index (<c>git add -A &amp;&amp; git write-tree</c>): with the
/// workspace's own repository where it has one (so git reads the same .gitignore files and info/exclude the engine
/// does), or a separate bare repository where it has none.
/// </summary>
public sealed class GitReference
{
    /// <summary>The empty tree's id (what <c>write-tree</c> gives for an index without entries).</summary>
    public const string EmptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

    private readonly string _gitDir;
    private readonly string _workTree;
    private readonly string? _prefix;
    private readonly string _home;

    /// <summary>Creates the repository the layout calls for under <paramref name="top"/> (the workspace is <c>top/work</c>).</summary>
    public GitReference(string top, OracleLayout layout)
    {
        _home = Directory.CreateDirectory(Path.Join(top, "home")).FullName;
        var work = Path.Join(top, "work");
        (_gitDir, _workTree, _prefix) = layout switch
        {
            OracleLayout.NoRepository => (Path.Join(top, "compare.git"), work, (string?)null),
            OracleLayout.RepositoryTop => (Path.Join(work, ".git"), work, null),
            _ => (Path.Join(top, ".git"), top, "work"),
        };
        if (layout == OracleLayout.NoRepository) Run(top, "init", "-q", "--bare", _gitDir);
        else Run(top, "init", "-q", _workTree);
    }

    /// <summary>git's tree of the workspace now, from an index made afresh.</summary>
    public string TreeNow()
    {
        File.Delete(Path.Join(_gitDir, "index"));
        if (_prefix is null)
        {
            Run(_workTree, "--git-dir", _gitDir, "--work-tree", _workTree, "add", "-A");
            return Run(_workTree, "--git-dir", _gitDir, "write-tree").Trim();
        }
        var added = RunAllowingFailure(_workTree, "--git-dir", _gitDir, "--work-tree", _workTree, "add", "-A", "--", _prefix);
        if (added.ExitCode != 0)
        {
            // A workspace without a file git would add: the pathspec matches nothing, the tree is empty.
            if (added.Stderr.Contains("did not match any files", StringComparison.Ordinal)) return EmptyTree;
            throw new InvalidOperationException($"git add -A -- {_prefix} failed ({added.ExitCode}): {added.Stderr}");
        }
        var written = RunAllowingFailure(_workTree, "--git-dir", _gitDir, "write-tree", "--prefix=" + _prefix + "/");
        return written.ExitCode == 0 ? written.Stdout.Trim() : EmptyTree;
    }

    /// <summary>The tree's files as "mode type id\tpath" lines (<c>git ls-tree -r</c>), read from <paramref name="gitDir"/> (git's or the engine's store).</summary>
    public IReadOnlyList<string> List(string tree, string? gitDir = null) =>
        Run(_workTree, "--git-dir", gitDir ?? _gitDir, "ls-tree", "-r", "--full-tree", tree).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private string Run(string directory, params string[] args)
    {
        var run = RunAllowingFailure(directory, args);
        if (run.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({run.ExitCode}): {run.Stderr}");
        return run.Stdout;
    }

    private CliRun RunAllowingFailure(string directory, params string[] args) =>
        ProcessRunner.RunAsync("git", args, directory, new Dictionary<string, string?>
        {
            // Only the sandbox's own ignore sources: no global or system configuration, no global excludes file.
            ["HOME"] = _home,
            ["XDG_CONFIG_HOME"] = null,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_DIR"] = null,
            ["GIT_WORK_TREE"] = null,
            ["GIT_INDEX_FILE"] = null,
        }).GetAwaiter().GetResult();
}
