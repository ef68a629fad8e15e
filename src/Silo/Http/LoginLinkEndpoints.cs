using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// <c>POST /v1/login-links</c>: any valid key gets a one-time link into the web UI for its tenant. The token is
/// stored by its hash in a grain (<see cref="ILoginTokenGrain"/>), so any silo of the cluster redeems it; the key
/// itself never leaves the API.
/// </summary>
internal static class LoginLinkEndpoints
{
    /// <summary>How long a link works.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    public static RouteHandlerBuilder MapLoginLinkEndpoints(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/v1/login-links", Create)
            .RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName)
            .AddEndpointFilterFactory(QueryParameterFilter.Create)
            .WithTags("web UI")
            .Documented(ApiExamples.LoginLink);

    [EndpointName("loginLink"), EndpointSummary("A one-time link into the web UI")]
    [EndpointDescription("The link (relative to the silo's address) logs a browser into the web UI as the key's tenant: it works once, for 60 seconds, and sets an HttpOnly, SameSite=Strict cookie. 'next' must be a path of the UI (/ui/...).")]
    private static async Task<JsonHttpResult<LoginLink>> Create(HttpContext http, IGrainFactory grains, CancellationToken ct)
    {
        var body = await RequestBodies.LoginLinkAsync(http.Request, ct);
        if (body.Next is { } next && !UiPaths.IsUiPath(next))
        {
            throw new ApiProblemException(ProblemCode.InvalidField,
                $"Field 'next' value '{MessageText.Shown(next)}' is not a path of the web UI: give a path starting with /ui/, e.g. /ui/sessions/demo (a link never leads elsewhere).");
        }
        var token = LoginTokens.New();
        var expires = DateTimeOffset.UtcNow + Lifetime;
        var tenant = http.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value;
        await grains.GetGrain<ILoginTokenGrain>(LoginTokens.KeyFor(UiLogin.LinkKind, token)).IssueAsync(new LoginGrant(tenant, expires, SingleUse: true));
        return TypedResults.Json(new LoginLink(UiPaths.LoginLink(token, body.Next), expires), ContractJson.Options);
    }
}
