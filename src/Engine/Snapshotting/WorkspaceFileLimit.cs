using System.Globalization;
using AgentSnapshots.Engine.Foundation;

namespace AgentSnapshots.Engine.Snapshotting;

/// <summary>
/// <c>Snapshots:MaxFilesPerWorkspace</c>: most files (not counting ignored ones) a snapshot may hold, so an agent
/// started in a huge directory is refused instead of copying all of it into the store and holding its state in memory.
/// <c>Snapshots:AllowBroadWorkspaces</c> lifts it, as it lifts the refusal of home directories and the root.
/// </summary>
internal static class WorkspaceFileLimit
{
    /// <summary>The most files a snapshot of a workspace may hold under <paramref name="options"/>.</summary>
    public static int For(SnapshotsOptions options) =>
        options.AllowBroadWorkspaces ? int.MaxValue : options.MaxFilesPerWorkspace;

    /// <summary>The error of a snapshot that found more than <paramref name="limit"/> files under <paramref name="root"/>.</summary>
    public static EngineException Exceeded(string root, int limit) =>
        new(EngineError.WorkspaceTooBroad, string.Create(CultureInfo.InvariantCulture,
            $"Workspace directory '{MessageText.Shown(root)}' holds more than {limit:N0} files (ignored ones not counted), so no snapshot was taken: " +
            $"snapshotting all of it is rarely meant. Track a project directory, ignore what need not be kept (.gitignore or Snapshots:Excludes), " +
            $"or raise Snapshots:MaxFilesPerWorkspace (or set Snapshots:AllowBroadWorkspaces=true) to allow it."));
}
