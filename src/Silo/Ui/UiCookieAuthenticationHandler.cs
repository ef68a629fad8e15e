using System.Security.Claims;
using System.Text.Encodings.Web;
using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Ui.Pages;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// Authenticates the web UI's requests by its login-session cookie, into the same principal an API key gives (the
/// tenant's name and <see cref="ApiKeyAuthenticationHandler.TenantClaim"/>, or the local user), so every page calls
/// the grains exactly as the same /v1 request would. A grant whose tenant is no longer configured (or a local login
/// once tenants are) is refused. Without a valid cookie the page answers 401 with a plain page saying how to log in.
/// </summary>
internal sealed class UiCookieAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TenantDirectory tenants,
    IGrainFactory grains)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "UiCookie";
    public const string PolicyName = "AgentSnapshotsUi";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(UiLogin.CookieName, out var token) || string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }
        if (token.Length > 256)
        {
            return AuthenticateResult.Fail("The login cookie is not one this service set.");
        }
        var grant = await grains.GetGrain<ILoginTokenGrain>(LoginTokens.KeyFor(UiLogin.SessionKind, token)).RedeemAsync();
        if (grant is null)
        {
            return AuthenticateResult.Fail("The login expired or was logged out.");
        }
        ClaimsIdentity identity;
        if (grant.Tenant is { } name)
        {
            if (tenants.Named(name) is null)
            {
                return AuthenticateResult.Fail("The login's tenant is no longer configured.");
            }
            identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ApiKeyAuthenticationHandler.TenantClaim, name)], SchemeName);
        }
        else if (tenants.Enabled)
        {
            return AuthenticateResult.Fail("The login was made with the local key, which this service no longer takes.");
        }
        else
        {
            identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "local")], SchemeName);
        }
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure is { } failure
            ? $"{failure.Message} Log in again: run 'agentsnapshots ui' (or POST /v1/login-links with your key) and open the link it prints."
            : "Log in: run 'agentsnapshots ui' (or POST /v1/login-links with your key) and open the link it prints. A link works once, for 60 seconds.";
        await new RazorComponentResult<LoginNeededPage>(new { Title = "Login needed", Detail = detail }) { StatusCode = 401 }.ExecuteAsync(Context);
    }
}
