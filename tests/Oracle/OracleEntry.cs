using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>
/// One entry of an oracle sequence: an operation on the sandbox's files, or a point where the engine tracks (and
/// the oracle compares), restarts, or tracks while a thread edits. Entries are data with concrete paths, so a
/// sequence replays from an empty directory and any subsequence still replays (an operation whose precondition no
/// longer holds does nothing): the reducer depends on it. Paths are relative to the sandbox's top.
/// </summary>
public abstract record OracleEntry
{
    /// <summary>Applies a file operation to the sandbox at <paramref name="top"/>; markers do nothing here.</summary>
    public virtual void Apply(string top)
    {
    }

    /// <summary>A short quoted form of file content for the readable sequence.</summary>
    protected static string Quote(string text)
    {
        var shown = text.Length <= 40 ? text : text[..37] + "...";
        var escaped = new StringBuilder();
        foreach (var c in shown)
        {
            escaped.Append(c switch { '\n' => "\\n", '"' => "\\\"", '\\' => "\\\\", _ => c.ToString() });
        }
        return $"\"{escaped}\" ({text.Length} bytes)";
    }
}

/// <summary>The engine tracks; the oracle compares each path's tree with git's.</summary>
public sealed record Track : OracleEntry
{
    public override string ToString() => "track";
}

/// <summary>Every engine workspace is disposed and opened again over its data directory (a silo restart: the persisted index is read back).</summary>
public sealed record Restart : OracleEntry
{
    public override string ToString() => "restart (workspaces reopened from their data directories)";
}

/// <summary>The engine tracks while a thread applies <see cref="Edits"/> (at least once, over and over until the track ends); that track is not compared, the next one is.</summary>
public sealed record TrackWhileEditing(IReadOnlyList<WriteFile> Edits) : OracleEntry
{
    public override string ToString() => "track while a thread edits: " + string.Join("; ", Edits);
}

/// <summary>Creates or overwrites a file (its directories made as needed); a symlink there is replaced, a directory there stays.</summary>
public sealed record WriteFile(string Path, string Text) : OracleEntry
{
    public override void Apply(string top)
    {
        var full = SandboxPath.Full(top, Path);
        if (!SandboxPath.Placeable(top, Path)) return;
        var kind = SandboxPath.KindOf(full);
        if (kind == EntryKind.Directory) return;
        if (kind == EntryKind.Symlink) File.Delete(full);
        SandboxPath.CreateParent(full);
        File.WriteAllText(full, Text);
    }

    public override string ToString() => $"write {Path} {Quote(Text)}";
}

/// <summary>Overwrites an existing file and sets its modification time back to what it was (tar x, cp -p, rsync -t).</summary>
public sealed record WriteKeepingTime(string Path, string Text) : OracleEntry
{
    public override void Apply(string top)
    {
        var full = SandboxPath.Full(top, Path);
        if (!SandboxPath.Placeable(top, Path) || SandboxPath.KindOf(full) != EntryKind.File) return;
        var mtime = File.GetLastWriteTimeUtc(full);
        File.WriteAllText(full, Text);
        File.SetLastWriteTimeUtc(full, mtime);
    }

    public override string ToString() => $"write {Path} {Quote(Text)} and set its mtime back";
}

/// <summary>Sets a file's modification time (touch -d).</summary>
public sealed record SetTime(string Path, DateTime Utc) : OracleEntry
{
    public override void Apply(string top)
    {
        var full = SandboxPath.Full(top, Path);
        if (SandboxPath.Placeable(top, Path) && SandboxPath.KindOf(full) == EntryKind.File) File.SetLastWriteTimeUtc(full, Utc);
    }

    public override string ToString() => $"set mtime of {Path} to {Utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}";
}

/// <summary>Deletes a file, symlink or directory (with everything in it).</summary>
public sealed record Delete(string Path) : OracleEntry
{
    public override void Apply(string top)
    {
        if (SandboxPath.Placeable(top, Path)) SandboxPath.Remove(SandboxPath.Full(top, Path));
    }

    public override string ToString() => "delete " + Path;
}

/// <summary>Renames a file, symlink or directory to a free path (its directories made as needed), never into itself.</summary>
public sealed record Move(string From, string To) : OracleEntry
{
    public override void Apply(string top)
    {
        if (!SandboxPath.Placeable(top, From) || !SandboxPath.Placeable(top, To) || To.StartsWith(From + "/", StringComparison.Ordinal)) return;
        var from = SandboxPath.Full(top, From);
        var to = SandboxPath.Full(top, To);
        var kind = SandboxPath.KindOf(from);
        if (kind == EntryKind.None || SandboxPath.KindOf(to) != EntryKind.None) return;
        SandboxPath.CreateParent(to);
        if (kind == EntryKind.Directory) Directory.Move(from, to);
        else File.Move(from, to);
    }

    public override string ToString() => $"move {From} to {To}";
}

/// <summary>Sets or clears a file's executable bits.</summary>
public sealed record SetExecutable(string Path, bool Executable) : OracleEntry
{
    private const UnixFileMode Execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public override void Apply(string top)
    {
        var full = SandboxPath.Full(top, Path);
        if (!SandboxPath.Placeable(top, Path) || SandboxPath.KindOf(full) != EntryKind.File) return;
        var mode = File.GetUnixFileMode(full);
        File.SetUnixFileMode(full, Executable ? mode | Execute : mode & ~Execute);
    }

    public override string ToString() => (Executable ? "chmod +x " : "chmod -x ") + Path;
}

/// <summary>Creates a symlink at a free path (its directories made as needed).</summary>
public sealed record CreateSymlink(string Path, string Target) : OracleEntry
{
    public override void Apply(string top)
    {
        var full = SandboxPath.Full(top, Path);
        if (!SandboxPath.Placeable(top, Path) || SandboxPath.KindOf(full) != EntryKind.None) return;
        SandboxPath.CreateParent(full);
        File.CreateSymbolicLink(full, Target);
    }

    public override string ToString() => $"symlink {Path} -> {Target}";
}

/// <summary>Makes a second name (a hard link) for an existing file at a free path (its directories made as needed).</summary>
public sealed record HardLink(string Path, string Existing) : OracleEntry
{
    public override void Apply(string top)
    {
        var full = SandboxPath.Full(top, Path);
        var existing = SandboxPath.Full(top, Existing);
        if (!SandboxPath.Placeable(top, Path) || !SandboxPath.Placeable(top, Existing) ||
            SandboxPath.KindOf(existing) != EntryKind.File || SandboxPath.KindOf(full) != EntryKind.None) return;
        SandboxPath.CreateParent(full);
        // .NET has no call for link(2).
        using var ln = Process.Start("ln", [existing, full]);
        ln.WaitForExit();
        if (ln.ExitCode != 0) throw new InvalidOperationException($"ln {Existing} {Path} failed ({ln.ExitCode})");
    }

    public override string ToString() => $"hard link {Path} to {Existing}";
}
