using AgentSnapshots.Silo.Ui.Pages;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// Redeeming a login link and logging out. A link's token is used up on its first redeem; redeeming it starts a
/// login session whose own random token goes into an HttpOnly, SameSite=Strict cookie (stored, like the link, only
/// by its hash in an <see cref="ILoginTokenGrain"/>, so every silo of the cluster accepts it).
/// </summary>
internal static class UiLogin
{
    public const string LinkKind = "link";
    public const string SessionKind = "ui-session";
    public const string CookieName = "agentsnapshots_ui";

    /// <summary>How long a browser stays logged in.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    public static async Task<IResult> RedeemAsync(HttpContext http, IGrainFactory grains)
    {
        var query = http.Request.Query;
        var next = query["next"].Count == 1 ? query["next"][0] : null;
        if (query["next"].Count > 1 || next is not null && !UiPaths.IsUiPath(next))
        {
            // Refused before the link is used: a tampered link must not become an open redirect.
            return Refused(StatusCodes.Status400BadRequest, "This login link leads outside the web UI",
                "Its 'next' is not a path of the web UI (it must start with /ui/), so it is refused and not used. Ask for a new link: run 'agentsnapshots ui'.");
        }
        var token = query["token"].Count == 1 ? query["token"][0] : null;
        var grant = string.IsNullOrEmpty(token) || token.Length > 256
            ? null
            : await grains.GetGrain<ILoginTokenGrain>(LoginTokens.KeyFor(LinkKind, token)).RedeemAsync();
        if (grant is null)
        {
            return Refused(StatusCodes.Status401Unauthorized, "This login link does not work",
                "It was used already, it expired (a link works once, for 60 seconds), or it is not a link this service made. Run 'agentsnapshots ui' (or POST /v1/login-links) for a new one.");
        }
        var session = LoginTokens.New();
        var expires = DateTimeOffset.UtcNow + SessionLifetime;
        await grains.GetGrain<ILoginTokenGrain>(LoginTokens.KeyFor(SessionKind, session)).IssueAsync(new LoginGrant(grant.Tenant, expires, SingleUse: false));
        http.Response.Cookies.Append(CookieName, session, Cookie(http, expires));
        return TypedResults.Redirect(next ?? UiPaths.Root);
    }

    public static async Task<IResult> LogoutAsync(HttpContext http, IGrainFactory grains)
    {
        if (!UiActions.SameOrigin(http))
        {
            return UiActions.CrossOrigin();
        }
        if (http.Request.Cookies.TryGetValue(CookieName, out var session) && !string.IsNullOrEmpty(session) && session.Length <= 256)
        {
            await grains.GetGrain<ILoginTokenGrain>(LoginTokens.KeyFor(SessionKind, session)).RevokeAsync();
        }
        http.Response.Cookies.Delete(CookieName, Cookie(http, null));
        return TypedResults.Redirect(UiPaths.LoginNeeded);
    }

    private static CookieOptions Cookie(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/ui",
        Expires = expires,
        IsEssential = true,
    };

    private static RazorComponentResult<LoginNeededPage> Refused(int status, string title, string detail) =>
        new(new { Title = title, Detail = detail }) { StatusCode = status };
}
