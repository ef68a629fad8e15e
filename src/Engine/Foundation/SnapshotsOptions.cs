using System.ComponentModel.DataAnnotations;
using AgentSnapshots.Engine.SystemCalls;

namespace AgentSnapshots.Engine.Foundation;

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

    /// <summary>
    /// Most paths a reply lists (a track's skipped files, changed paths, a restore's written and deleted files); the
    /// reply counts the rest, so an un-ignored node_modules cannot make a multi-megabyte message.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxListedPaths { get; set; } = 1000;

    /// <summary>
    /// Snapshots, restores and collections run at once per silo, each on a dedicated thread (others queue), so blocking
    /// file work never takes the thread pool that Orleans' scheduler and membership probes need.
    /// </summary>
    [Range(1, 256)]
    public int MaxConcurrentSnapshots { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Allows a workspace that is a home directory or the file system root, or that holds more than
    /// <see cref="MaxFilesPerWorkspace"/> files (an agent started in the home directory snapshots all of it).
    /// </summary>
    public bool AllowBroadWorkspaces { get; set; }

    /// <summary>A snapshot of a workspace holding more files than this is refused (unless <see cref="AllowBroadWorkspaces"/>).</summary>
    [Range(1, int.MaxValue)]
    public int MaxFilesPerWorkspace { get; set; } = 1_000_000;

    /// <summary>
    /// Workspaces active on one silo at once. Each holds its store's lock file open (one file descriptor), so a silo
    /// with more active workspaces than its descriptor limit allows would fail to open files; beyond this bound the
    /// least recently used idle workspaces deactivate (their next call activates them again). Default: see
    /// <see cref="DefaultMaxActiveWorkspaces"/>.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxActiveWorkspaces { get; set; } = DefaultMaxActiveWorkspaces;

    /// <summary>
    /// Half of what the soft open-file limit (<c>ulimit -n</c>) leaves beside <see cref="RuntimeDescriptors"/>, the
    /// other half for sockets, packs and files being read; at least 16. 9,744 under a limit of 20,000, 256 under 1,024.
    /// 10,000 where there is no limit to read.
    /// </summary>
    public static int DefaultMaxActiveWorkspaces => OpenFileLimit.Soft is { } limit ? Math.Max(16, (limit - RuntimeDescriptors) / 2) : 10_000;

    /// <summary>Descriptors a silo holds before any workspace is active (about 330 measured: its assemblies, logs, sockets, SQLite), rounded up.</summary>
    public const int RuntimeDescriptors = 512;

    /// <summary>Extra ignore patterns (gitignore syntax) applied to every workspace, below its own ignore files.</summary>
    public List<string> Excludes { get; set; } = [];

    /// <summary>
    /// Where the workspaces' objects live: <c>local</c> (a bare git repository per workspace under <see cref="DataDir"/>),
    /// <c>postgres</c> (in the cluster's PostgreSQL database) or <c>s3</c> (<see cref="S3"/>). Empty: <c>local</c>.
    /// With <c>postgres</c> or <c>s3</c>, <see cref="DataDir"/> only caches them, bounded by <see cref="CacheBytes"/>.
    /// </summary>
    public string ObjectStore { get; set; } = "";

    /// <summary>With a remote object store, the most bytes of pack data cached under <see cref="DataDir"/> (least recently used packs go first).</summary>
    [Range(1L << 20, long.MaxValue)]
    public long CacheBytes { get; set; } = 1L << 30;

    public SummaryOptions Summary { get; set; } = new();

    public RetentionOptions Retention { get; set; } = new();

    public WatchOptions Watch { get; set; } = new();

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

    /// <summary>Summaries computed at once per silo; the silo's diff memory is bounded by this times one diff's budget.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentDiffs { get; set; } = Environment.ProcessorCount;

    /// <summary>Memory for recent summaries per silo (asking again for the same two snapshots returns at once).</summary>
    [Range(0, long.MaxValue)]
    public long CacheBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Exact-diff budget: when the changed middle of a file (after its common first and last lines) holds at most
    /// this many lines on each side, the exact minimal line diff is computed on per-line hashes (8 bytes a line).
    /// Larger middles are exact only when no line is common to both sides; otherwise upper bounds are reported.
    /// </summary>
    [Range(0, 64 * 1024 * 1024)]
    public int ExactDiffMaxLines { get; set; } = 100_000;

    /// <summary>Work budget of one file's exact diff (Myers steps, roughly (N+M)·D); beyond it the file reports bounds.</summary>
    [Range(1, long.MaxValue)]
    public long ExactDiffMaxWork { get; set; } = 100_000_000;

    /// <summary>Most memory one side's line filter may take when proving that two large middles share no line.</summary>
    [Range(4096, 1L << 30)]
    public long ExactDiffFilterBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Most filter hits (possible common lines) kept per side for that proof; beyond it the file reports bounds.</summary>
    [Range(0, 1 << 28)]
    public int ExactDiffMaxCandidates { get; set; } = 1_000_000;

    /// <summary>Blobs larger than this are binary, as git's <c>core.bigFileThreshold</c> (512 MiB by default) makes them.</summary>
    [Range(1, long.MaxValue)]
    public long BinaryThresholdBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Lines of a patch preview are cut after this many bytes.</summary>
    [Range(16, 1 << 20)]
    public int MaxPreviewLineBytes { get; set; } = 256;
}

/// <summary>
/// The <c>Snapshots:Retention</c> section: which snapshots a workspace keeps, and when it frees the disk of the others.
/// A snapshot is kept if it is among the last <see cref="KeepLast"/> snapshots of any session that recorded it, or
/// was recorded less than <see cref="KeepYoungerThan"/> ago. Then, while the store is larger than <see cref="MaxBytes"/>
/// (or the workspace records more than <see cref="MaxSnapshots"/>), the oldest kept ones are dropped too, except each
/// session's latest snapshot and safety snapshots younger than <see cref="KeepYoungerThan"/>, which are never dropped.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>Snapshots kept per session, newest first, whatever their age.</summary>
    [Range(1, 1_000_000)]
    public int KeepLast { get; set; } = 100;

    /// <summary>Snapshots recorded less than this long ago are kept, however many there are.</summary>
    public TimeSpan KeepYoungerThan { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Most disk one workspace's object store should use; above it the oldest unprotected snapshots go.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytes { get; set; } = 10L << 30;

    /// <summary>Most snapshots one workspace records (it bounds the workspace's stored state to about 1 MiB).</summary>
    [Range(2, 100_000)]
    public int MaxSnapshots { get; set; } = 10_000;

    /// <summary>Retention and collection run by themselves after this many recorded snapshots of a workspace (0: only on 'gc').</summary>
    [Range(0, int.MaxValue)]
    public int CollectEvery { get; set; } = 50;

    /// <summary>Unreachable objects younger than this are not deleted yet (a snapshot being written elsewhere is never cut).</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// The <c>Snapshots:Watch</c> section: a file watcher (inotify) tells a track which paths changed since the last
/// snapshot, so only those are read. It is a hint: whenever it cannot vouch for a workspace the track walks in
/// full. Watches are a bounded resource of the silo, released for idle workspaces and taken back on their next track.
/// </summary>
public sealed class WatchOptions
{
    /// <summary>Whether tracks use the watcher (<c>Snapshots:Watch</c> = false, or <c>Snapshots:Watch:Enabled</c> = false, turns it off).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Workspaces a silo watches at once; beyond it the least recently tracked one gives its watches up.</summary>
    [Range(1, 100_000)]
    public int MaxWorkspaces { get; set; } = 32;

    /// <summary>A workspace not tracked for this long gives its watches up (its next track walks in full and takes them back).</summary>
    public TimeSpan IdleAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// After this many tracks of a watched workspace, a verification walk (stat only, beside tracks, on the silo's
    /// file-work threads) checks the watcher's view against the tree; a miss is logged as an error, counted and healed
    /// by a full walk on the next track. 0: not by count. The default keeps the check under 5 % of the CPU of a silo
    /// doing nothing but back-to-back no-change tracks of a 100,000-file workspace (one check about 250 ms of CPU,
    /// such a track about 3 ms).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int VerifyEvery { get; set; } = 2000;

    /// <summary>A watched workspace tracked and then idle this long is verified once (as <see cref="VerifyEvery"/>). Zero: not when idle.</summary>
    public TimeSpan VerifyAfterIdle { get; set; } = TimeSpan.FromMinutes(5);
}
