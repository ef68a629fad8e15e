using System.ComponentModel;
using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Http;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Server;

namespace AgentSnapshots.Silo.Mcp;

/// <summary>
/// The MCP tools: the session operations an agent needs to checkpoint and undo its own work, each the same grain call
/// with the same argument checks as its HTTP endpoint (<see cref="SessionEndpoints"/>), under the caller's key and
/// tenant (<see cref="SessionAddress"/>). Replies are the API's JSON, so they are bounded as the API's are; failures
/// are tool errors carrying the API's problem code and detail (<see cref="ToolReplies"/>).
/// </summary>
[McpServerToolType]
internal sealed class SnapshotTools(IHttpContextAccessor http, TenantDirectory tenants, IGrainFactory grains, ToolReplies replies)
{
    private const string Session = "The session's name (1 to 128 letters, digits or . _ : -), e.g. the agent's conversation id. Each session has its own history of snapshots.";
    private const string Hash = "40 hexadecimal digits, as snapshot or history return them.";

    [McpServerTool(Name = "snapshot", Title = "Snapshot the workspace", Destructive = false, Idempotent = false, OpenWorld = false)]
    [Description("Record a snapshot of the session's workspace now: every file as git would see it (.gitignore'd files left out). "
        + "Take one before a risky change and after each step, so the step can be seen (diff) and undone (restore, revert). "
        + "The first snapshot of a session binds it to 'dir'; later ones may omit 'dir'. "
        + "Returns the snapshot's 'hash' (use it with diff, changes, restore and revert), the number of files, and any paths skipped (too large, unreadable).")]
    public Task<ModelContextProtocol.Protocol.CallToolResult> Snapshot(
        [Description(Session)] string session,
        [Description("The workspace directory, as an absolute path. Required for the session's first snapshot; afterwards omit it or give the same directory.")] string? dir = null,
        [Description("A short label for the snapshot, shown by history, e.g. 'before refactoring parser'.")] string? label = null,
        CancellationToken cancellationToken = default) =>
        replies.CallAsync("snapshot", () => Address(session).CallAsync((g, c) => g.TrackAsync(dir, label, c), cancellationToken));

    [McpServerTool(Name = "history", Title = "List the session's snapshots", ReadOnly = true, OpenWorld = false)]
    [Description("List the session's snapshots, oldest first: each one's hash, label, time, file count and 'step' (files changed, lines added and deleted since the previous snapshot). "
        + "Use it to find the hash to diff against, restore or revert to. A session never snapshotted has no snapshots.")]
    public Task<ModelContextProtocol.Protocol.CallToolResult> History(
        [Description(Session)] string session,
        CancellationToken cancellationToken = default) =>
        replies.CallAsync("history", () => Address(session).CallAsync((g, c) => g.HistoryAsync(c), cancellationToken));

    [McpServerTool(Name = "changes", Title = "Paths changed since a snapshot", ReadOnly = true, OpenWorld = false)]
    [Description("List the paths that differ between a snapshot and the workspace now, in path order, each added, modified or deleted. "
        + "At most a page of paths per call: 'fileCount' counts them all, and when 'omittedFiles' is above 0, call again with 'after' set to the last path listed.")]
    public Task<ModelContextProtocol.Protocol.CallToolResult> Changes(
        [Description(Session)] string session,
        [Description("The snapshot to compare the workspace with: " + Hash)] string since,
        [Description("List only the paths after this one (the last path of the previous page).")] string? after = null,
        CancellationToken cancellationToken = default) =>
        replies.CallAsync("changes", () =>
        {
            var sinceHash = SessionArguments.Hash(since, "since");
            return Address(session).CallAsync((g, c) => g.ChangesAsync(sinceHash, after, c), cancellationToken);
        });

    [McpServerTool(Name = "diff", Title = "What changed between snapshots", ReadOnly = true, OpenWorld = false)]
    [Description("Summarize what changed between two snapshots, or between a snapshot and the workspace now (omit 'to'). "
        + "Per file: status, lines added and deleted, whether the counts are exact, binary or not, sizes, and a short patch preview. "
        + "The summary stays small whatever the size of the change (large changes are summarized, not listed in full).")]
    public Task<ModelContextProtocol.Protocol.CallToolResult> Diff(
        [Description(Session)] string session,
        [Description("The older snapshot: " + Hash)] string from,
        [Description("The newer snapshot (" + Hash + "); omit it to compare with the workspace now.")] string? to = null,
        CancellationToken cancellationToken = default) =>
        replies.CallAsync("diff", () =>
        {
            var fromHash = SessionArguments.Hash(from, "from");
            var toHash = SessionArguments.OptionalHash(to, "to");
            return Address(session).CallAsync((g, c) => g.DiffAsync(fromHash, toHash, c), cancellationToken);
        });

    [McpServerTool(Name = "restore", Title = "Restore the workspace to a snapshot", Destructive = true, Idempotent = true, OpenWorld = false)]
    [Description("Make the whole workspace match a snapshot: files changed since are rewritten, files created since are deleted, deleted ones come back. "
        + "A safety snapshot of the workspace is taken first; its hash is 'safety' in the reply: restore to it to undo this restore. "
        + "Ignored and skipped files are never touched. To undo only some files, use revert.")]
    public Task<ModelContextProtocol.Protocol.CallToolResult> Restore(
        [Description(Session)] string session,
        [Description("The snapshot to restore: " + Hash)] string to,
        CancellationToken cancellationToken = default) =>
        replies.CallAsync("restore", () =>
        {
            var toHash = SessionArguments.Hash(to, "to");
            return Address(session).CallAsync((g, c) => g.RestoreAsync(toHash, c), cancellationToken);
        });

    [McpServerTool(Name = "revert", Title = "Restore some files from a snapshot", Destructive = true, Idempotent = true, OpenWorld = false)]
    [Description("Restore only the listed files or directories to their state in a snapshot (a file absent from the snapshot is deleted; a directory reverts everything under it). "
        + "A safety snapshot is taken first; its hash is 'safety' in the reply: restore to it to undo.")]
    public Task<ModelContextProtocol.Protocol.CallToolResult> Revert(
        [Description(Session)] string session,
        [Description("The snapshot to take the files from: " + Hash)] string to,
        [Description("Paths relative to the workspace, '/'-separated (absolute paths inside the workspace are accepted too), e.g. [\"src/main.c\"].")] string[] files,
        CancellationToken cancellationToken = default) =>
        replies.CallAsync("revert", () =>
        {
            var toHash = SessionArguments.Hash(to, "to");
            if (files is not { Length: > 0 })
            {
                throw new ApiProblemException(ProblemCode.InvalidField, "'files' must list at least one path relative to the workspace; to restore every file, use restore.");
            }
            SessionArguments.CheckRevertFiles(files, "files");
            return Address(session).CallAsync((g, c) => g.RevertAsync(toHash, files, c), cancellationToken);
        });

    /// <summary>The caller's session of that name: the tenant comes from the key this request was authenticated with.</summary>
    private SessionAddress Address(string session) =>
        SessionAddress.For(http.HttpContext ?? throw new InvalidOperationException("An MCP tool ran outside an HTTP request."), session, tenants, grains);
}
