using System.Diagnostics;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>The ref that keeps retained snapshots reachable, read back by git.</summary>
public sealed class SnapshotRefsTests : IDisposable
{
    private readonly WorkspaceFixture _ws = new();

    public void Dispose() => _ws.Dispose();

    private string Git(params string[] args) => Support.Git.Run(_ws.Root, ["--git-dir", _ws.Workspace.Store.GitDir, .. args]);

    private GitObjectId Snapshot(string text)
    {
        _ws.Write("f.txt", text);
        return GitObjectId.Parse(_ws.Workspace.Snapshot().Hash);
    }

    [Fact]
    public void Each_snapshot_appends_one_commit_and_keep_exactly_leaves_only_the_kept_ones_reachable()
    {
        var refs = new SnapshotRefs(_ws.Workspace.Store);
        // A snapshot taken to be recorded keeps itself (Workspace.Snapshot appends it).
        var trees = Enumerable.Range(1, 4).Select(i => Snapshot($"version {i}\n")).ToList();
        refs.Keep(trees[^1]); // the same snapshot again: nothing new

        Assert.Equal(trees.AsEnumerable().Reverse(), refs.Kept());
        Assert.Equal(trees.Select(t => t.ToHex()).Reverse(), Git("log", "--format=%T", SnapshotRefs.KeptRef).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Git("fsck", "--strict", "--no-dangling");

        refs.KeepExactly([trees[1], trees[3]]);

        Assert.Equal(new[] { trees[1], trees[3] }.Order(), refs.Kept().Order());
        Assert.Equal("", Git("log", "-1", "--format=%P", SnapshotRefs.KeptRef).Trim());
        var reachable = Git("rev-list", "--objects", SnapshotRefs.KeptRef);
        Assert.Contains(trees[1].ToHex(), reachable, StringComparison.Ordinal);
        Assert.Contains(trees[3].ToHex(), reachable, StringComparison.Ordinal);
        Assert.DoesNotContain(trees[0].ToHex(), reachable, StringComparison.Ordinal);
        Assert.DoesNotContain(trees[2].ToHex(), reachable, StringComparison.Ordinal);
        Git("fsck", "--strict", "--no-dangling");

        // Appending goes on over the kept set.
        var fifth = Snapshot("version 5\n");
        refs.Keep(fifth);
        Assert.Equal([fifth, .. new[] { trees[1], trees[3] }.Order()], refs.Kept());
    }

    [Fact]
    public void A_ref_git_moved_into_packed_refs_is_read_and_appended_to()
    {
        var refs = new SnapshotRefs(_ws.Workspace.Store);
        var first = Snapshot("one\n");
        Git("pack-refs", "--all");
        Assert.False(File.Exists(Path.Combine(_ws.Workspace.Store.GitDir, "refs", "agentsnapshots", "kept")));

        var second = Snapshot("two\n");

        Assert.Equal([second, first], refs.Kept());
        Assert.Equal(second.ToHex(), Git("rev-parse", SnapshotRefs.KeptRef + "^{tree}").Trim());
        Git("fsck", "--strict", "--no-dangling");
    }

    [Fact]
    public void Appending_overwrites_the_ref_file_in_place_and_the_kept_set_replaces_it()
    {
        var refs = new SnapshotRefs(_ws.Workspace.Store);
        var first = Snapshot("one\n");
        var refFile = Path.Combine(_ws.Workspace.Store.GitDir, "refs", "agentsnapshots", "kept");
        // A second name for the ref's file: it sees what is written into that file, not what replaces it.
        var link = Path.Combine(_ws.TempPath, "kept-link");
        using (var ln = Process.Start("ln", [refFile, link]))
        {
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }

        var second = Snapshot("two\n");

        Assert.Equal(File.ReadAllText(refFile), File.ReadAllText(link));
        Assert.Equal(second.ToHex(), Git("rev-parse", SnapshotRefs.KeptRef + "^{tree}").Trim());
        Assert.Equal([second, first], refs.Kept());

        refs.KeepExactly([first]);

        Assert.NotEqual(File.ReadAllText(refFile), File.ReadAllText(link));
        Assert.Equal([first], refs.Kept());
        Git("fsck", "--strict", "--no-dangling");
    }

    [Fact]
    public void Keep_exactly_leaves_out_what_the_store_does_not_hold_as_a_tree()
    {
        var refs = new SnapshotRefs(_ws.Workspace.Store);
        var tree = Snapshot("kept\n");
        var blob = GitObjectId.Parse(Git("rev-parse", tree + ":f.txt").Trim());
        var absent = GitObjectId.Parse(new string('7', 40));

        refs.KeepExactly([tree, blob, absent]);

        Assert.Equal([tree], refs.Kept());
        Git("fsck", "--strict", "--no-dangling");
    }
}
