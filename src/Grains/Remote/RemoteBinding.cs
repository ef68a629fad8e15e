using AgentSnapshots.Engine;

namespace AgentSnapshots;

/// <summary>How a session binds to a remote workspace: the name checked, the binding recorded, the workspace's id.</summary>
internal static class RemoteBinding
{
    /// <summary>The binding and workspace id of <paramref name="workspace"/> for session <paramref name="sessionId"/>; refused if the session is bound to something else.</summary>
    public static (string Binding, string WorkspaceId) For(string sessionId, string session, string? bound, string workspace)
    {
        if (!WorkspaceNames.IsValid(workspace))
        {
            throw new SnapshotRequestException(RequestError.MalformedId,
                $"Workspace name '{MessageText.Shown(workspace)}' is not accepted: use 1 to {WorkspaceNames.MaxLength} characters from letters, digits and . _ -");
        }
        var binding = WorkspaceNames.Binding(workspace);
        if (bound is not null && !string.Equals(bound, binding, StringComparison.Ordinal))
        {
            throw SessionErrors.BoundElsewhere(session, bound, binding);
        }
        return (binding, WorkspaceIdentity.IdFor(WorkspaceNames.IdentityOf(SessionIds.TenantOf(sessionId), workspace)));
    }
}
