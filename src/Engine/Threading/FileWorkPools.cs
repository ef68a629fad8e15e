using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.Threading;

/// <summary>
/// The silo's dedicated threads for blocking file work: <see cref="Snapshots"/> for snapshots, restores, changes
/// and collection (<c>Snapshots:MaxConcurrentSnapshots</c> threads) and <see cref="Diffs"/> for summaries
/// (<c>Snapshots:Summary:MaxConcurrentDiffs</c> threads, which also bounds the silo's diff memory to that many times
/// one diff's budget).
/// </summary>
public sealed class FileWorkPools(SnapshotsOptions options) : IDisposable
{
    public FileWorkScheduler Snapshots { get; } = new(options.MaxConcurrentSnapshots, "snapshot work");

    public FileWorkScheduler Diffs { get; } = new(options.Summary.MaxConcurrentDiffs, "diff work");

    public void Dispose()
    {
        Snapshots.Dispose();
        Diffs.Dispose();
    }
}
