using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Oracle;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// The differential oracle at a fixed budget: seeded random operation sequences (see <see cref="OracleGenerator"/>),
/// every track through the engine compared with git's tree of the same moment from a fresh index, with the watcher,
/// without it, and through the portable reader; and the reduced cases of misses found so far, replayed exactly.
/// The long run is the bench's <c>oracle</c> scenario.
/// </summary>
public sealed class DifferentialOracleTests
{
    private const int Steps = 150;

    private static readonly OraclePath PortableReader = new("portable reader, watcher off", Watch: false)
    {
        Open = (directory, options, watches) => Workspace.Open(directory, options, null, watches, portableReading: true),
    };

    private static readonly OraclePath[] Paths = [OraclePath.WatcherOn, OraclePath.WatcherOff, PortableReader];

    /// <summary>The Linux reader's paths: they see what git's index sees (ctime, inode), so no edit escapes them.</summary>
    private static readonly OraclePath[] LinuxPaths = [OraclePath.WatcherOn, OraclePath.WatcherOff];

    private static readonly DateTime NewYear = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static TheoryData<string> PathNames => [.. Paths.Select(p => p.Name)];

    public static TheoryData<string> LinuxPathNames => [.. LinuxPaths.Select(p => p.Name)];

    /// <summary>Seeds 1, 2 and 3 cover the three layouts: the workspace a repository's top, inside one, without one.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_track_equals_gits_tree_over_a_random_sequence(int seed)
    {
        var result = OracleSeedRun.Run(seed, new OracleSettings(Steps, LinuxPaths) { ReduceBudget = TimeSpan.FromSeconds(15) });
        Assert.True(result.Mismatches == 0, result.Report());
        Assert.Equal(Steps * LinuxPaths.Length, result.TracksCompared);
    }

    /// <summary>
    /// The portable reader (other systems) sees only what .NET's file API shows: size, mtime and mode, no ctime or
    /// inode. An edit that keeps size and mtime is beyond it (as it is for git where ctime is not trusted), so its
    /// sequences leave that one kind out; everything else must still equal git's tree.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_portable_track_equals_gits_tree_over_a_random_sequence_without_time_keeping_edits(int seed)
    {
        var settings = new OracleSettings(Steps, [PortableReader]) { ReduceBudget = TimeSpan.FromSeconds(15), Without = new HashSet<OperationKind> { OperationKind.KeepTime } };
        var result = OracleSeedRun.Run(seed, settings);
        Assert.True(result.Mismatches == 0, result.Report());
        Assert.Equal(Steps, result.TracksCompared);
    }

    /// <summary>Issue 25, miss 1: a new file created in the same batch as a root .gitignore rewrite (the watcher dropped it).</summary>
    [Theory]
    [MemberData(nameof(PathNames))]
    public void A_new_file_beside_a_root_gitignore_rewrite_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/x.txt", "x"), new WriteFile("work/.gitignore", "rewritten 1\n"), new WriteFile("work/n12/inner.txt", "inner"), new Track(),
            new WriteFile("work/x.txt", "x edited"), new Track(),
            new WriteFile("work/n12/src2", "src2"), new WriteFile("work/.gitignore", "rewritten 2\n"), new Track());

    /// <summary>Issue 25: a write through a second hard link (inside the workspace, and outside it) changes every name of the file.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_write_through_another_hard_link_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/a", "aaaa"), new HardLink("work/sub/b", "work/a"), new HardLink("outside/o1", "work/a"), new Track(),
            new WriteFile("work/sub/b", "bbbb"), new Track(),
            new WriteFile("outside/o1", "cccc"), new Track());

    /// <summary>Found by the oracle: a hard link made under an ignored name, then written through: the tracked name raised no event.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_write_through_an_ignored_hard_link_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/.gitignore", "*.log\n"), new WriteFile("work/b", "rov"), new Track(),
            new HardLink("work/x.log", "work/b"), new WriteFile("work/x.log", "zlpakhumanrnscgyagz"), new Track());

    /// <summary>Found by the oracle: a tracked .gitignore hard-linked after a track and rewritten through the new name.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_gitignore_rewritten_through_a_new_hard_link_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/tmp/.gitignore", "!d1/a/\n"), new Track(),
            new HardLink("work/c/tool.sh", "work/tmp/.gitignore"), new WriteKeepingTime("work/c/tool.sh", "pwygbbo"), new Track());

    /// <summary>The root's .gitignore linked and rewritten through the link in the same batch as other edits, then written through again.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_root_gitignore_rewritten_through_a_new_hard_link_beside_other_edits_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/.gitignore", "*.log\n"), new WriteFile("work/a.log", "a"), new WriteFile("work/d/b.txt", "b"), new Track(),
            new WriteFile("work/d/c.txt", "c"), new HardLink("work/d/rules", "work/.gitignore"), new WriteFile("work/d/rules", "*.txt\n"), new Track(),
            new WriteFile("work/d/rules", "d/\n"), new WriteFile("work/d/e.log", "e"), new Track());

    /// <summary>Found by the oracle: a .gitignore that ignores itself, linked into a directory it ignores, rewritten through that link.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_self_ignoring_gitignore_rewritten_through_a_link_in_an_ignored_directory_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/c/f1.txt", "1"), new WriteFile("work/c/b/data.bin", "0"), new WriteFile("work/.gitignore", "x\n"),
            new HardLink("work/c/b/linked", "work/.gitignore"), new WriteFile("work/.gitignore", "c/\n.gitignore\n[ab]/\n"), new Track(),
            new WriteFile("work/c/b/linked", "nothing\n"), new Track());

    /// <summary>A self-ignoring .gitignore linked after a track under a watched name, then rewritten through it.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_self_ignoring_gitignore_linked_after_a_track_and_rewritten_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/d/f.txt", "1"), new WriteFile("work/.gitignore", ".gitignore\n"), new Track(),
            new HardLink("work/rules", "work/.gitignore"), new Track(),
            new WriteFile("work/rules", ".gitignore\nd/\n"), new Track());

    /// <summary>A plain hard link to a tracked .gitignore (no rewrite), beside edits in the same batch and after.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_plain_hard_link_to_a_tracked_gitignore_changes_nothing_but_the_new_name(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/sub/.gitignore", "*.tmp\n"), new WriteFile("work/sub/x.tmp", "x"), new WriteFile("work/sub/y", "y"), new Track(),
            new HardLink("work/copy", "work/sub/.gitignore"), new WriteFile("work/sub/y", "y2"), new WriteFile("work/sub/z/w", "w"), new Track(),
            new WriteFile("work/sub/y", "y3"), new Track());

    /// <summary>Issue 25, miss 2: a same-size edit whose mtime is set back (tar x, cp -p, rsync -t, touch -r).</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_same_size_edit_with_its_mtime_set_back_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/f.txt", "aaaa"), new SetTime("work/f.txt", NewYear), new Track(),
            new WriteKeepingTime("work/f.txt", "bbbb"), new Track());

    /// <summary>Found by the oracle: a file edited in the same batch as a root .gitignore edit kept its old content.</summary>
    [Theory]
    [MemberData(nameof(PathNames))]
    public void A_file_edited_beside_a_root_gitignore_edit_is_read_again(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.RepositoryTop, path,
            new WriteFile("work/d1/notes.md", "ygjuvek"), new Track(),
            new WriteFile("work/.gitignore", ".gitignore\n"), new WriteFile("work/d1/notes.md", "ygvvyfjjrccrtsdjadu\nrwuaqbjxwybzdyo"), new Track());

    /// <summary>Found by the oracle: a file renamed in the same batch as a root .gitignore edit kept its old name.</summary>
    [Theory]
    [MemberData(nameof(PathNames))]
    public void A_file_renamed_beside_a_root_gitignore_edit_is_under_its_new_name(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.NoRepository, path,
            new WriteFile("work/a/f3", "esjnpcokrbcnfufxdzx\nhhrqmcedmtftxzaep"), new Track(),
            new Move("work/a/f3", "work/a/keep.log"), new WriteFile("work/.gitignore", "b/*\n"), new Track());

    /// <summary>Found by the oracle: a moved directory's .gitignore, edited in the same batch as the root's, went missing.</summary>
    [Theory]
    [MemberData(nameof(PathNames))]
    public void A_moved_directorys_gitignore_edited_beside_the_roots_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.InsideRepository, path,
            new WriteFile("work/f2.txt/a/.gitignore", ".gitignore\n"), new Move("work/f2.txt", "work/build"), new Track(),
            new WriteFile("work/.gitignore", "**/c/*.md\n"), new WriteFile("work/build/a/.gitignore", "f1*\n"), new Track());

    /// <summary>Found by the oracle: miss 2 on an ignore file (its lines reordered, same size, mtime set back): the rules change too.</summary>
    [Theory]
    [MemberData(nameof(LinuxPathNames))]
    public void A_gitignore_reordered_with_its_mtime_set_back_is_in_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.InsideRepository, path,
            new WriteFile("work/.gitignore", "/*.bin\n*/\n"), new SetTime("work/.gitignore", NewYear), new Track(),
            new WriteKeepingTime("work/.gitignore", "*/\n/*.bin\n"), new Track());

    /// <summary>Found by the oracle: the root .gitignore deleted; the walk that followed kept the root's old tree, .gitignore and all.</summary>
    [Theory]
    [MemberData(nameof(PathNames))]
    public void A_deleted_root_gitignore_leaves_the_snapshot(string path) =>
        AssertEveryTrackEqualsGit(OracleLayout.RepositoryTop, path,
            new WriteFile("work/.gitignore", "notes.md \n!tool.sh\n"), new Track(),
            new Delete("work/.gitignore"), new Track());

    /// <summary>The oracle is not vacuous: an engine told to exclude what git does not is caught, and reduced to the write that shows it.</summary>
    [Fact]
    public void A_snapshot_that_differs_from_git_is_reported_with_a_reduced_sequence()
    {
        var excludingLogs = new OraclePath("excluding *.log", Watch: false)
        {
            Open = (directory, options, watches) =>
            {
                options.Excludes = ["*.log"];
                return Workspace.Open(directory, options, null, watches);
            },
        };
        var result = OracleSeedRun.Run(3, new OracleSettings(40, [excludingLogs]) { ReduceBudget = TimeSpan.FromSeconds(30) });
        Assert.NotEmpty(result.Findings);
        var reduced = result.Findings[0].Reduced;
        Assert.NotNull(reduced);
        Assert.True(reduced.Count <= 3, SequenceReducer.Readable(reduced));
        Assert.Contains(".log", SequenceReducer.Readable(reduced), StringComparison.Ordinal);
        Assert.Contains(".log (only in git's tree", result.Report(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_reducer_keeps_only_what_the_failure_needs()
    {
        var tries = 0;
        bool Fails(List<int> items)
        {
            tries++;
            return items.Contains(7) && items.Contains(31);
        }
        var minimal = SequenceReducer.Minimize(Enumerable.Range(0, 40).ToList(), Fails, TimeSpan.FromMinutes(1));
        Assert.Equal([7, 31], minimal);
        Assert.True(tries < 120, $"{tries} tries");
    }

    private static void AssertEveryTrackEqualsGit(OracleLayout layout, string pathName, params OracleEntry[] entries)
    {
        var path = Paths.Single(p => p.Name == pathName);
        using var sandbox = new OracleSandbox(layout, [path]);
        var mismatches = entries.SelectMany((e, i) => sandbox.Play(e, i)).ToList();
        Assert.True(mismatches.Count == 0,
            $"{path}, {layout}:\n{SequenceReducer.Readable(entries)}\n{string.Join('\n', mismatches)}");
    }
}
