using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Watching;

namespace AgentSnapshots.Tests.Oracle;

/// <summary>
/// One way the engine tracks the sandbox's workspace: with the file watcher or walking every track
/// (<c>Snapshots:Watch</c>), and how a workspace is opened (the tests pass the portable reader's opener).
/// </summary>
public sealed record OraclePath(string Name, bool Watch)
{
    public static readonly OraclePath WatcherOn = new("watcher on", Watch: true);

    public static readonly OraclePath WatcherOff = new("watcher off", Watch: false);

    /// <summary>Opens the workspace at a canonical directory with these options and the silo's watch registry.</summary>
    public Func<string, SnapshotsOptions, WatchRegistry, Workspace> Open { get; init; } =
        (directory, options, watches) => Workspace.Open(directory, options, null, watches);

    public override string ToString() => Name;
}
