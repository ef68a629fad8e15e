using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// What decides that a file is unchanged and need not be read again, with the watcher off (as every first track
/// after a restart or failover is): edits that keep the size and the modification time must still be seen, as git
/// sees them (its index compares ctime, inode and more). Every snapshot is compared with git's tree from a fresh
/// index. Through the Linux reader: everything git's index compares.
/// </summary>
public sealed class StatFidelityTestsWithDirectoryHandles() : StatFidelityTests(portable: false)
{
    [Fact]
    public void A_same_size_edit_with_its_mtime_set_back_is_seen()
    {
        var path = WriteOld("f.txt", "aaaa");
        WorkspaceFixture.WaitOutRacyWindow();
        var first = Ws.Workspace.Snapshot();
        Assert.Equal(GitTree(), first.Hash);
        Assert.Equal(0, Ws.Workspace.Snapshot().Read);

        // As tar x, cp -p, rsync -t and touch -r leave it: same size, the old mtime, new bytes (and a new ctime).
        File.WriteAllText(path, "bbbb");
        File.SetLastWriteTimeUtc(path, Old);
        var second = Ws.Workspace.Snapshot();
        Assert.NotEqual(first.Hash, second.Hash);
        Assert.Equal(GitTree(), second.Hash);
        Assert.Equal(1, second.Read);
    }

    [Fact]
    public void A_same_size_edit_with_its_mtime_set_back_is_seen_after_a_restart()
    {
        var path = WriteOld("f.txt", "aaaa");
        WriteOld("other.txt", "unchanged");
        WorkspaceFixture.WaitOutRacyWindow();
        var first = Ws.Workspace.Snapshot();

        // The persisted index vouches for both files (their ctime and identity read back as recorded): nothing is read.
        using (var reopened = Ws.Open(Ws.Root))
        {
            var again = reopened.Snapshot();
            Assert.Equal(FullWalkReason.FirstSnapshot, again.FullWalk);
            Assert.Equal(first.Hash, again.Hash);
            Assert.Equal(0, again.Read);
        }

        File.WriteAllText(path, "bbbb");
        File.SetLastWriteTimeUtc(path, Old);
        using var restarted = Ws.Open(Ws.Root);
        var after = restarted.Snapshot();
        Assert.Equal(FullWalkReason.FirstSnapshot, after.FullWalk);
        Assert.NotEqual(first.Hash, after.Hash);
        Assert.Equal(GitTree(), after.Hash);
        Assert.Equal(1, after.Read);
    }

    [Fact]
    public void An_entry_whose_ctime_is_in_the_racy_window_is_read_again()
    {
        // An old mtime but a ctime of just now: a write with the mtime set back in the same ctime tick would leave
        // every time as recorded, so the entry is not trusted until its ctime is older than the window.
        WriteOld("f.txt", "aaaa");
        var first = Ws.Workspace.Snapshot();
        Assert.Equal(1, first.Read);
        WorkspaceFixture.WaitOutRacyWindow();
        Assert.Equal(1, Ws.Workspace.Snapshot().Read);
        Assert.Equal(0, Ws.Workspace.Snapshot().Read);
    }

    [Fact]
    public void A_gitignore_edited_with_its_size_and_mtime_kept_is_parsed_again()
    {
        WriteOld("sub/a.log", "a");
        WriteOld("sub/b.log", "b");
        var ignore = WriteOld("sub/.gitignore", "a.log\n");
        WorkspaceFixture.WaitOutRacyWindow();
        var first = Ws.Workspace.Snapshot();
        Assert.Equal(GitTree(), first.Hash);

        File.WriteAllText(ignore, "b.log\n");
        File.SetLastWriteTimeUtc(ignore, Old);
        var second = Ws.Workspace.Snapshot();
        Assert.Equal(GitTree(), second.Hash);
        Assert.Contains("sub/a.log", Ws.ListPaths(second.Hash));
        Assert.DoesNotContain("sub/b.log", Ws.ListPaths(second.Hash));
    }

    [Fact]
    public void A_file_replaced_by_a_same_size_same_mtime_file_is_seen()
    {
        var path = WriteOld("f.txt", "aaaa");
        // Made beside the workspace, with the same size and mtime, then renamed over the file (as editors save).
        var replacement = System.IO.Path.Combine(Ws.TempPath, "replacement");
        File.WriteAllText(replacement, "bbbb");
        File.SetLastWriteTimeUtc(replacement, Old);
        WorkspaceFixture.WaitOutRacyWindow();
        var first = Ws.Workspace.Snapshot();

        File.Move(replacement, path, overwrite: true);
        Assert.Equal(Old, File.GetLastWriteTimeUtc(path));
        var second = Ws.Workspace.Snapshot();
        Assert.NotEqual(first.Hash, second.Hash);
        Assert.Equal(GitTree(), second.Hash);
    }
}

/// <summary>
/// The same through the portable reader, which sees no ctime or inode (.NET exposes neither): what it can compare
/// (size, mtime, creation time, the execute bit) and git's racy rule.
/// </summary>
public sealed class StatFidelityTestsWithPortableReader() : StatFidelityTests(portable: true);

public abstract class StatFidelityTests(bool portable) : PerReaderTests(portable)
{
    protected static readonly DateTime Old = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_same_size_edit_within_the_same_mtime_tick_is_seen()
    {
        var path = Ws.Write("f.txt", "aaaa");
        var mtime = File.GetLastWriteTimeUtc(path);
        var first = Ws.Workspace.Snapshot();

        // Written again in the tick the snapshot read it in: the mtime does not move.
        File.WriteAllText(path, "bbbb");
        File.SetLastWriteTimeUtc(path, mtime);
        var second = Ws.Workspace.Snapshot();
        Assert.NotEqual(first.Hash, second.Hash);
        Assert.Equal(GitTree(), second.Hash);
    }

    [Fact]
    public void A_mode_change_is_seen_and_one_git_ignores_changes_nothing()
    {
        var path = WriteOld("tool", "#!/bin/sh\n");
        WorkspaceFixture.WaitOutRacyWindow();
        var first = Ws.Workspace.Snapshot();

        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.GroupWrite);
        Assert.Equal(first.Hash, Ws.Workspace.Snapshot().Hash);

        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        var executable = Ws.Workspace.Snapshot();
        Assert.Equal(["100755 tool"], Ws.ListTree(executable.Hash));
        Assert.Equal(GitTree(), executable.Hash);
    }

    [Fact]
    public void An_info_exclude_edited_with_its_size_and_mtime_kept_is_read_again()
    {
        Git.Run(Ws.Root, "init", "-q");
        var exclude = System.IO.Path.Combine(Ws.Root, ".git", "info", "exclude");
        File.WriteAllText(exclude, "a.log\n");
        File.SetLastWriteTimeUtc(exclude, Old);
        WriteOld("a.log", "a");
        WriteOld("b.log", "b");
        WorkspaceFixture.WaitOutRacyWindow();
        var first = Ws.Workspace.Snapshot();
        Assert.Equal(["b.log"], Ws.ListPaths(first.Hash));

        File.WriteAllText(exclude, "b.log\n");
        File.SetLastWriteTimeUtc(exclude, Old);
        var second = Ws.Workspace.Snapshot();
        Assert.Equal(FullWalkReason.IgnoreFilesChanged, second.FullWalk);
        Assert.Equal(["a.log"], Ws.ListPaths(second.Hash));
        File.Delete(System.IO.Path.Combine(Ws.Root, ".git", "index"));
        Git.Run(Ws.Root, "add", "-A");
        Assert.Equal(Git.Run(Ws.Root, "write-tree").Trim(), second.Hash);
    }

    [Fact]
    public void An_index_of_the_previous_format_is_read_as_absent_never_as_unchanged()
    {
        var path = WriteOld("f.txt", "aaaa");
        WorkspaceFixture.WaitOutRacyWindow();
        var first = Ws.Workspace.Snapshot();
        var gitDir = Ws.Workspace.Store.GitDir;
        var marker = CollectionMarker.Read(Ws.Workspace.Store);
        var aaaa = GitObjectId.Parse(Git.Run(Ws.Root, "hash-object", path).Trim());

        // Edited in place, size and mtime kept; then an index as the previous version wrote it (size and mtime
        // only), vouching for the old content under the very marker and tree the store holds.
        File.WriteAllText(path, "bbbb");
        File.SetLastWriteTimeUtc(path, Old);
        File.Delete(System.IO.Path.Combine(gitDir, "agentsnapshots.index.log"));
        File.WriteAllBytes(System.IO.Path.Combine(gitDir, "agentsnapshots.index"),
            VersionTwoIndex(marker, GitObjectId.Parse(first.Hash), ("f.txt", 4, Old, aaaa)));
        WorkspaceFixture.WaitOutRacyWindow();

        using var restarted = Ws.Open(Ws.Root);
        var after = restarted.Snapshot();
        Assert.Equal(1, after.Read);
        Assert.Equal(GitTree(), after.Hash);
        Assert.NotEqual(first.Hash, after.Hash);

        // The index was written anew in this version: the next restart trusts it.
        using var again = Ws.Open(Ws.Root);
        var trusted = again.Snapshot();
        Assert.Equal(after.Hash, trusted.Hash);
        Assert.Equal(0, trusted.Read);
    }

    /// <summary>Writes <paramref name="text"/> and sets its mtime to <see cref="Old"/> (its ctime is now).</summary>
    protected string WriteOld(string relative, string text)
    {
        var path = Ws.Write(relative, text);
        File.SetLastWriteTimeUtc(path, Old);
        return path;
    }

    /// <summary>git's tree for the working tree now: <c>git add -A &amp;&amp; git write-tree</c> from a fresh index.</summary>
    protected string GitTree() => Git.WriteTreeOf(Ws.Root);

    /// <summary>
    /// A base index file in version 2's layout (as the service wrote it before ctime and identity were recorded):
    /// "ASI2", a generation, then framed records (length, XxHash64, payload): the marker, and the root directory
    /// with its tree and files (name, mode, size, mtime, blob, racy).
    /// </summary>
    private static byte[] VersionTwoIndex(string marker, GitObjectId tree, params (string Name, long Size, DateTime Mtime, GitObjectId Blob)[] files)
    {
        using var output = new MemoryStream();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x32495341);
        BinaryPrimitives.WriteUInt64LittleEndian(header[4..], 42);
        output.Write(header);
        Frame(output, w =>
        {
            w.Write((byte)4);
            w.Write(marker);
        });
        Frame(output, w =>
        {
            w.Write((byte)1);
            w.Write("");
            w.Write(true);
            w.Write(Raw(tree));
            w.Write(files.Length);
            foreach (var file in files)
            {
                w.Write(file.Name);
                w.Write((int)EntryMode.RegularFile);
                w.Write(file.Size);
                w.Write((file.Mtime - DateTime.UnixEpoch).Ticks * 100);
                w.Write(Raw(file.Blob));
                w.Write(false);
            }
        });
        return output.ToArray();
    }

    private static void Frame(Stream output, Action<BinaryWriter> write)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true)) write(writer);
        Span<byte> frame = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(frame, (int)payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[4..], XxHash64.HashToUInt64(payload.ToArray()));
        output.Write(frame);
        output.Write(payload.ToArray());
    }

    private static byte[] Raw(GitObjectId id)
    {
        var raw = new byte[GitObjectId.ByteLength];
        id.WriteTo(raw);
        return raw;
    }
}
