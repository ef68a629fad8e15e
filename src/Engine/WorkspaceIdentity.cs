using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.SystemCalls;
using AgentSnapshots.Engine.WorkingTree;

namespace AgentSnapshots.Engine;

/// <summary>Turns client-supplied directories and ids into checked, canonical ones, or refuses them clearly.</summary>
public static partial class WorkspaceIdentity
{
    /// <summary>The workspace id of a canonical directory: stable, short, safe as a file name and grain key.</summary>
    public static string IdFor(string canonicalDirectory)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonicalDirectory));
        return "ws-" + Convert.ToHexStringLower(digest.AsSpan(0, 12));
    }

    /// <summary>
    /// Resolves <paramref name="directory"/> (absolute, or relative to the caller's current directory before it reaches us)
    /// to its canonical path with symlinks resolved, and checks that it is an existing directory under one of
    /// <paramref name="roots"/>. Throws <see cref="EngineException"/> otherwise.
    /// </summary>
    public static string ResolveDirectory(string? directory, IReadOnlyList<string> roots, bool allowBroad = false)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new EngineException(EngineError.MissingDirectory, "No workspace directory was given; pass the directory to snapshot.");
        }
        if (!Path.IsPathFullyQualified(directory) || directory.Contains('\0', StringComparison.Ordinal))
        {
            throw new EngineException(EngineError.InvalidPath, $"Workspace directory '{MessageText.Shown(directory)}' is not an absolute path; pass an absolute path.");
        }
        var canonical = RealPath(directory);
        if (canonical is null || !Directory.Exists(canonical))
        {
            throw new EngineException(EngineError.MissingDirectory, $"Workspace directory '{MessageText.Shown(directory)}' does not exist or is not a directory.");
        }
        var allowed = roots.Select(RealPath).OfType<string>().ToList();
        if (!allowed.Any(root => RelativePath.IsWithin(canonical, Path.TrimEndingDirectorySeparator(root)) || root == "/"))
        {
            var shown = string.Join(", ", roots);
            throw new EngineException(EngineError.OutsideWorkspaceRoots,
                $"Workspace directory '{MessageText.Shown(canonical)}' is outside the allowed workspace roots ({shown}); use a directory under one of them, or add a root to Snapshots:WorkspaceRoots.");
        }
        if (!allowBroad && BroadDirectory(canonical) is { } what)
        {
            throw new EngineException(EngineError.WorkspaceTooBroad,
                $"Workspace directory '{MessageText.Shown(canonical)}' is {what}: snapshotting all of it is rarely meant and stores a copy of everything under it. Track a project directory instead, or set Snapshots:AllowBroadWorkspaces=true to allow it.");
        }
        return canonical;
    }

    /// <summary>What makes <paramref name="canonical"/> too broad to snapshot by default, or null: the root, or a home directory.</summary>
    private static string? BroadDirectory(string canonical)
    {
        if (canonical == "/") return "the file system root";
        var home = RealPath(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        if (string.Equals(canonical, home, StringComparison.Ordinal) || canonical == "/root") return "a home directory";
        var parent = Path.GetDirectoryName(canonical);
        return parent is "/home" or "/Users" ? "a home directory" : null;
    }

    /// <summary>The canonical absolute path with every symlink, '.' and '..' resolved (realpath(3)), or null if it does not exist.</summary>
    public static string? RealPath(string path) => Posix.RealPath(path);

    /// <summary>Checks a snapshot hash argument and parses it; throws <see cref="EngineException"/> (MalformedId) otherwise.</summary>
    public static GitObjectId ParseHash(string? hash, string argumentName)
    {
        if (!GitObjectId.TryParse(hash?.Trim().ToLowerInvariant(), out var id))
        {
            throw new EngineException(EngineError.MalformedId,
                $"{argumentName} '{MessageText.Shown(hash)}' is not a snapshot hash: expected 40 hexadecimal digits, as printed by 'track' or 'history'.");
        }
        return id;
    }
}
