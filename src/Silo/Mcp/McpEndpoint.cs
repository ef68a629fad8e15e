using AgentSnapshots.Silo.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSnapshots.Silo.Mcp;

/// <summary>
/// MCP at <see cref="Path"/> on the HTTP port: streamable HTTP in stateless mode (each request stands alone, so any
/// silo behind a load balancer answers it), behind the same API keys and tenant rules as <c>/v1</c> (no key: 401).
/// </summary>
internal static class McpEndpoint
{
    public const string Path = "/mcp";

    public static IServiceCollection AddAgentSnapshotsMcp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddSingleton<ToolReplies>();
        services.AddMcpServer(o => o.ServerInfo = new() { Name = "agentsnapshots", Version = typeof(McpEndpoint).Assembly.GetName().Version?.ToString(3) ?? "1.0.0" })
            .WithHttpTransport(o => o.Stateless = true)
            .WithTools<SnapshotTools>();
        return services;
    }

    public static IEndpointConventionBuilder MapAgentSnapshotsMcp(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapMcp(Path).RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName);
}
