using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Remote;
using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo.Remote;

/// <summary>
/// <c>GET /v1/workspaces/{workspace}/agent</c>: a workspace agent's WebSocket, authenticated by the tenant's key as
/// every API call. The connection serves the tenant's remote workspace of that name (one agent per name: a new one
/// replaces the old) until either side closes it; it is attached to the workspace's
/// <see cref="IWorkspaceAgentGrain"/> as a grain observer, and again every <see cref="AttachEvery"/>.
/// </summary>
internal static partial class AgentEndpoint
{
    public static readonly TimeSpan AttachEvery = TimeSpan.FromSeconds(20);

    public static IEndpointRouteBuilder MapAgentEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/v1/workspaces/{workspace}/agent", ServeAsync)
            .RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName)
            .ExcludeFromDescription();
        return endpoints;
    }

    private static async Task ServeAsync(string workspace, HttpContext http, IGrainFactory grains, IOptions<SnapshotsOptions> options, WorkspaceStores stores, ILoggerFactory loggers)
    {
        if (!WorkspaceNames.IsValid(workspace))
        {
            throw new ApiProblemException(ProblemCode.For(RequestError.MalformedId),
                $"Workspace name '{MessageText.Shown(workspace)}' in the path is not accepted: use 1 to {WorkspaceNames.MaxLength} characters from letters, digits and . _ -");
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            throw new ApiProblemException(ProblemCode.InvalidParameter,
                "This is a workspace agent's endpoint: connect with a WebSocket ('agentsnapshots agent --workspace NAME --dir DIR' does).");
        }
        var tenant = http.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value;
        var workspaceId = WorkspaceIdentity.IdFor(WorkspaceNames.IdentityOf(tenant, workspace));
        var logger = loggers.CreateLogger("AgentSnapshots.Silo.Remote.AgentEndpoint");
        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        await using var frames = new FrameConnection(socket);
        using var connection = new AgentConnection(frames, workspace, options.Value.WorkspacesDirectory, stores, logger);
        var link = grains.CreateObjectReference<IWorkspaceAgentLink>(connection);
        var registry = grains.GetGrain<IWorkspaceAgentGrain>(workspaceId);
        try
        {
            var attached = false;
            while (!frames.Closed.IsCompleted)
            {
                if (!await registry.AttachAsync(link, connection.Id))
                {
                    await frames.CloseAsync((System.Net.WebSockets.WebSocketCloseStatus)4000, "replaced: another agent serves this workspace now");
                    break;
                }
                if (!attached)
                {
                    attached = true;
                    LogConnected(logger, workspace, tenant ?? "(local)", connection.Id);
                }
                await Task.WhenAny(frames.Closed, Task.Delay(AttachEvery, http.RequestAborted));
                if (http.RequestAborted.IsCancellationRequested) break;
            }
        }
        finally
        {
            await connection.WaitIdleAsync(TimeSpan.FromSeconds(30));
            try
            {
                await registry.DetachAsync(connection.Id);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // The silo is stopping: the registry forgets the connection when its activation goes.
            }
            grains.DeleteObjectReference<IWorkspaceAgentLink>(link);
            LogDisconnected(logger, workspace, connection.Id, frames.CloseReason ?? "closed");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace agent {Workspace} of {Tenant} connected and attached ({Connection})")]
    private static partial void LogConnected(ILogger logger, string workspace, string tenant, Guid connection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace agent {Workspace} disconnected ({Connection}): {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string workspace, Guid connection, string reason);
}
