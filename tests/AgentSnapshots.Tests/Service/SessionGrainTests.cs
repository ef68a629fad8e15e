namespace AgentSnapshots.Tests.Service;

/// <summary>The session operations through ISessionGrain on a real cluster with SQLite storage.</summary>
public sealed class SessionGrainTests(ServiceClusterFixture fixture)
{
    private static readonly string NoSuchTree = new('a', 40);

    private ISessionGrain Session(string id) => fixture.Grains.GetGrain<ISessionGrain>(id);

    private static void Write(string dir, string relative, string text)
    {
        var full = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static string Read(string dir, string relative) => File.ReadAllText(Path.Combine(dir, relative));

    private static async Task<SnapshotRequestException> Refused(RequestError error, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<SnapshotRequestException>(call);
        Assert.Equal(error, e.Error);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        return e;
    }

    [Fact]
    public async Task Track_binds_the_session_and_history_lists_snapshots_oldest_first()
    {
        var dir = fixture.NewWorkspace("track");
        Write(dir, "a.txt", "one\n");
        Write(dir, "src/b.cs", "class B {}\n");
        var session = Session("track-1");

        var first = await session.TrackAsync(dir, "first");
        Write(dir, "a.txt", "one\ntwo\n");
        var second = await session.TrackAsync(null, null);
        var history = await session.HistoryAsync();

        Assert.Equal(2, first.Files);
        Assert.Empty(first.Skipped);
        Assert.NotEqual(first.Hash, second.Hash);
        Assert.Equal("track-1", history.Session);
        Assert.Equal(dir, history.Workspace);
        Assert.Equal([first.Hash, second.Hash], history.Snapshots.Select(s => s.Hash));
        Assert.Equal(["first", null], history.Snapshots.Select(s => s.Label));
        Assert.All(history.Snapshots, s => Assert.Equal(2, s.Files));
        Assert.True(history.Snapshots[0].Time <= history.Snapshots[1].Time);
        Assert.Equal(TimeSpan.Zero, history.Snapshots[0].Time.Offset);
    }

    [Fact]
    public async Task Changes_and_diff_compare_snapshots_and_the_workspace_now_without_recording_now()
    {
        var dir = fixture.NewWorkspace("diff");
        Write(dir, "keep.txt", "same\n");
        Write(dir, "edit.txt", "a\nb\nc\n");
        Write(dir, "gone.txt", "bye\n");
        var session = Session("diff-1");
        var before = await session.TrackAsync(dir, "before");

        Write(dir, "edit.txt", "a\nB\nc\nd\n");
        File.Delete(Path.Combine(dir, "gone.txt"));
        Write(dir, "new.txt", "hello\n");
        var changes = await session.ChangesAsync(before.Hash.AsHash());
        var toNow = await session.DiffAsync(before.Hash.AsHash(), null);
        var after = await session.TrackAsync(null, "after");
        var between = await session.DiffAsync(before.Hash.ToUpperInvariant().AsHash(), after.Hash.AsHash());

        Assert.Equal(before.Hash, changes.Since);
        Assert.Equal(["edit.txt", "gone.txt", "new.txt"], changes.Files.Order(StringComparer.Ordinal));
        Assert.Equal(after.Hash, toNow.To);
        Assert.Equal(before.Hash, between.From);
        Assert.Equal(3, between.FileCount);
        Assert.Equal(0, between.OmittedFiles);
        var edit = Assert.Single(between.Files, f => f.File == "edit.txt");
        Assert.Equal((FileStatus.Modified, 2L, 1L, true), (edit.Status, edit.Additions, edit.Deletions, edit.Exact));
        Assert.Equal(FileStatus.Deleted, Assert.Single(between.Files, f => f.File == "gone.txt").Status);
        Assert.Equal(FileStatus.Added, Assert.Single(between.Files, f => f.File == "new.txt").Status);
        Assert.Contains("+B", edit.Patch, StringComparison.Ordinal);
        Assert.Equal(between.Additions, toNow.Additions);
        // Diff to "now" took a snapshot, but only the two tracks are in the history.
        Assert.Equal(["before", "after"], (await session.HistoryAsync()).Snapshots.Select(s => s.Label));
    }

    [Fact]
    public async Task Restore_makes_the_workspace_match_and_records_a_safety_snapshot_that_undoes_it()
    {
        var dir = fixture.NewWorkspace("restore");
        Write(dir, "a.txt", "v1\n");
        Write(dir, "b.txt", "keep\n");
        var session = Session("restore-1");
        var v1 = await session.TrackAsync(dir, "v1");
        Write(dir, "a.txt", "v2\n");
        Write(dir, "c.txt", "created later\n");

        var restore = await session.RestoreAsync(v1.Hash.AsHash());

        Assert.Equal(v1.Hash, restore.To);
        Assert.Equal(["a.txt"], restore.Written);
        Assert.Equal(["c.txt"], restore.Deleted);
        Assert.Equal("v1\n", Read(dir, "a.txt"));
        Assert.False(File.Exists(Path.Combine(dir, "c.txt")));
        var history = await session.HistoryAsync();
        var safety = history.Snapshots[^1];
        Assert.Equal(restore.Safety, safety.Hash);
        Assert.Equal($"safety: before restore to {v1.Hash[..8]}", safety.Label);
        Assert.Equal(3, safety.Files);

        var undo = await session.RestoreAsync(restore.Safety.AsHash());

        Assert.Equal("v2\n", Read(dir, "a.txt"));
        Assert.Equal("created later\n", Read(dir, "c.txt"));
        Assert.Equal(restore.Safety, undo.To);
        Assert.Equal(3, (await session.HistoryAsync()).Snapshots.Count);
    }

    [Fact]
    public async Task Revert_touches_only_the_listed_files()
    {
        var dir = fixture.NewWorkspace("revert");
        Write(dir, "a.txt", "a1\n");
        Write(dir, "b.txt", "b1\n");
        var session = Session("revert-1");
        var v1 = await session.TrackAsync(dir, null);
        Write(dir, "a.txt", "a2\n");
        Write(dir, "b.txt", "b2\n");
        Write(dir, "n.txt", "new\n");

        var revert = await session.RevertAsync(v1.Hash.AsHash(), ["./a.txt", "n.txt"]);

        Assert.Equal(["a.txt"], revert.Written);
        Assert.Equal(["n.txt"], revert.Deleted);
        Assert.Equal("a1\n", Read(dir, "a.txt"));
        Assert.Equal("b2\n", Read(dir, "b.txt"));
        Assert.False(File.Exists(Path.Combine(dir, "n.txt")));
        Assert.Equal($"safety: before revert to {v1.Hash[..8]}", (await session.HistoryAsync()).Snapshots[^1].Label);
    }

    [Fact]
    public void Malformed_hashes_are_refused_where_they_are_parsed_naming_the_argument()
    {
        // The grains take only parsed hashes; every edge (API, MCP, UI, SDK) parses with SnapshotHash.Parse.
        foreach (var bad in new[] { "abc", "zz" + new string('0', 38), "", " ", new string('0', 41), "HEAD~1", "0000000000 000000000000000000000000000000", null })
        {
            var e = Assert.Throws<SnapshotRequestException>(() => SnapshotHash.Parse(bad, "to"));
            Assert.Equal(RequestError.MalformedId, e.Error);
            Assert.StartsWith("'to' ", e.Message, StringComparison.Ordinal);
            Assert.Contains("40 hexadecimal digits", e.Message, StringComparison.Ordinal);
        }
        Assert.Contains("a value of 200 characters", Assert.Throws<SnapshotRequestException>(() => SnapshotHash.Parse(new string('x', 200), "to")).Message, StringComparison.Ordinal);
        Assert.Equal(NoSuchTree, SnapshotHash.Parse(" " + NoSuchTree.ToUpperInvariant() + "\n", "to").Hex);
    }

    [Fact]
    public void Malformed_session_names_are_refused_where_they_are_parsed()
    {
        // The API, the MCP tools, the UI and the SDK parse names with SessionName.Parse before addressing a session.
        foreach (var bad in new[] { "has space", new string('s', 129), "a/b", "tenant@name", "tab\tname", "", null })
        {
            var e = Assert.Throws<SnapshotRequestException>(() => SessionName.Parse(bad));
            Assert.Equal(RequestError.MalformedId, e.Error);
            Assert.EndsWith($"is not accepted: use {SessionName.Form}.", e.Message, StringComparison.Ordinal);
        }
        Assert.Contains("a value of 129 characters", Assert.Throws<SnapshotRequestException>(() => SessionName.Parse(new string('s', 129))).Message, StringComparison.Ordinal);
        Assert.Equal("run-1.a_b:c", SessionName.Parse("run-1.a_b:c").Value);
    }

    [Fact]
    public async Task Snapshots_of_other_sessions_are_unknown_snapshots_here()
    {
        var dir = fixture.NewWorkspace("unknown-snapshot");
        Write(dir, "a.txt", "mine\n");
        var mine = Session("unknown-snapshot-mine");
        var other = Session("unknown-snapshot-other");
        var own = await mine.TrackAsync(dir, null);
        Write(dir, "a.txt", "theirs\n");
        var theirs = await other.TrackAsync(dir, null);
        Write(dir, "a.txt", "now\n");

        var e = await Refused(RequestError.UnknownSnapshot, () => mine.RestoreAsync(theirs.Hash.AsHash()));
        await Refused(RequestError.UnknownSnapshot, () => mine.DiffAsync(own.Hash.AsHash(), NoSuchTree.AsHash()));
        await Refused(RequestError.UnknownSnapshot, () => mine.ChangesAsync(NoSuchTree.AsHash()));
        await Refused(RequestError.UnknownSnapshot, () => mine.RevertAsync(NoSuchTree.AsHash(), ["a.txt"]));

        // The grain states the fact in neutral words; each surface adds its own advice.
        Assert.Equal($"'to' {theirs.Hash} is not a snapshot of session 'unknown-snapshot-mine'.", e.Message);
        Assert.Equal("now\n", Read(dir, "a.txt"));
        Assert.Single((await mine.HistoryAsync()).Snapshots);
    }

    [Fact]
    public async Task Sessions_never_tracked_are_unknown_and_need_a_directory_first()
    {
        var session = Session("never-tracked");

        await Refused(RequestError.UnknownSession, () => session.ChangesAsync(NoSuchTree.AsHash()));
        await Refused(RequestError.UnknownSession, () => session.DiffAsync(NoSuchTree.AsHash(), null));
        await Refused(RequestError.UnknownSession, () => session.RestoreAsync(NoSuchTree.AsHash()));
        await Refused(RequestError.UnknownSession, () => session.RevertAsync(NoSuchTree.AsHash(), ["a.txt"]));
        var e = await Refused(RequestError.UnknownSession, () => session.TrackAsync(null, null));

        Assert.Contains("directory", e.Message, StringComparison.Ordinal);
        var history = await session.HistoryAsync();
        Assert.Null(history.Workspace);
        Assert.Empty(history.Snapshots);
    }

    [Fact]
    public async Task Directories_outside_the_roots_missing_or_relative_are_refused_and_bind_nothing()
    {
        var session = Session("bad-dirs");
        Write(fixture.Outside, "secret.txt", "no\n");

        await Refused(RequestError.OutsideWorkspaceRoots, () => session.TrackAsync(fixture.Outside, null));
        await Refused(RequestError.MissingDirectory, () => session.TrackAsync(Path.Combine(fixture.Roots, "does-not-exist"), null));
        await Refused(RequestError.InvalidPath, () => session.TrackAsync("relative/dir", null));

        var history = await session.HistoryAsync();
        Assert.Null(history.Workspace);
        Assert.Empty(history.Snapshots);
        Assert.False(Directory.Exists(Path.Combine(fixture.DataDir, "workspaces", AgentSnapshots.Engine.WorkspaceIdentity.IdFor(fixture.Outside))));
    }

    [Fact]
    public async Task A_bound_session_refuses_another_directory()
    {
        var first = fixture.NewWorkspace("bound-a");
        var second = fixture.NewWorkspace("bound-b");
        Write(first, "a.txt", "a\n");
        var session = Session("bound-1");
        await session.TrackAsync(first, null);

        var e = await Refused(RequestError.WorkspaceMismatch, () => session.TrackAsync(second, null));

        Assert.Contains(first, e.Message, StringComparison.Ordinal);
        Assert.Equal(first, (await session.HistoryAsync()).Workspace);
        // The same directory spelled differently is the same workspace.
        await session.TrackAsync(first + "/./", "again");
        Assert.Equal(2, (await session.HistoryAsync()).Snapshots.Count);
    }

    [Fact]
    public async Task A_bound_directory_replaced_by_a_symlink_is_refused_and_the_target_is_not_snapshotted()
    {
        var bound = fixture.NewWorkspace("swapped-a");
        var elsewhere = fixture.NewWorkspace("swapped-b");
        Write(bound, "a.txt", "a\n");
        Write(elsewhere, "b.txt", "b\n");
        var session = Session("swapped-1");
        await session.TrackAsync(bound, null);
        Directory.Move(bound, bound + "-moved");
        Directory.CreateSymbolicLink(bound, elsewhere);

        var e = await Refused(RequestError.WorkspaceMismatch, () => session.TrackAsync(null, "after the swap"));

        // It names the bound directory, not where the symlink now leads (with tenants, that may be another tenant's).
        Assert.Contains(bound, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(elsewhere, e.Message, StringComparison.Ordinal);
        Assert.Single((await session.HistoryAsync()).Snapshots);
        Assert.False(Directory.Exists(Path.Combine(fixture.DataDir, "workspaces", AgentSnapshots.Engine.WorkspaceIdentity.IdFor(elsewhere))));
    }

    [Fact]
    public async Task Malformed_session_ids_and_revert_paths_are_refused()
    {
        var dir = fixture.NewWorkspace("bad-ids");
        Write(dir, "a.txt", "a\n");
        var session = Session("bad-ids-1");
        var v1 = await session.TrackAsync(dir, null);
        Write(dir, "a.txt", "b\n");

        await Refused(RequestError.MalformedId, () => Session("has space").HistoryAsync());
        await Refused(RequestError.MalformedId, () => Session(new string('s', 129)).TrackAsync(dir, null));
        await Refused(RequestError.InvalidPath, () => session.RevertAsync(v1.Hash.AsHash(), ["../escape.txt"]));
        await Refused(RequestError.InvalidPath, () => session.RevertAsync(v1.Hash.AsHash(), ["/etc/passwd"]));
        await Refused(RequestError.InvalidPath, () => session.RevertAsync(v1.Hash.AsHash(), []));

        Assert.Equal("b\n", Read(dir, "a.txt"));
        Assert.Single((await session.HistoryAsync()).Snapshots);
    }
}
