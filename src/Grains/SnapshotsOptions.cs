using System.ComponentModel.DataAnnotations;

namespace AgentSnapshots;

/// <summary>The <c>Snapshots</c> configuration section (see the README's settings table).</summary>
public sealed class SnapshotsOptions
{
    public const string SectionName = "Snapshots";

    /// <summary>Where the SQLite file (one node) and the workspaces' object stores live.</summary>
    [Required]
    public string DataDir { get; set; } = "./data";

    /// <summary>Only directories under these may be snapshotted or restored. Empty: the user's home directory.</summary>
    public List<string> WorkspaceRoots { get; set; } = [];

    /// <summary>Files larger than this are not stored; the snapshot reports them as skipped.</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 1L << 30;

    /// <summary>Extra ignore patterns (gitignore syntax) applied to every workspace, below its own ignore files.</summary>
    public List<string> Excludes { get; set; } = [];

    public SummaryOptions Summary { get; set; } = new();

    /// <summary>The roots in force: the configured ones, or the user's home directory.</summary>
    public IReadOnlyList<string> EffectiveWorkspaceRoots =>
        WorkspaceRoots.Count > 0
            ? WorkspaceRoots
            : [Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)];

    /// <summary>The object stores' parent directory.</summary>
    public string WorkspacesDirectory => Path.Combine(Path.GetFullPath(DataDir), "workspaces");
}

/// <summary>Caps that keep every DiffSummary small whatever the files' sizes.</summary>
public sealed class SummaryOptions
{
    [Range(256, int.MaxValue)]
    public int MaxPatchBytesPerFile { get; set; } = 8 * 1024;

    [Range(1024, int.MaxValue)]
    public int MaxSummaryBytes { get; set; } = 64 * 1024;

    [Range(1, int.MaxValue)]
    public int MaxFiles { get; set; } = 200;
}
