using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// Headers on every /ui response: a content security policy that lets the pages load only the UI's own script and
/// stylesheet (no inline script, so injected markup cannot run), no framing (clickjacking), referrers only to the
/// silo itself (a login link's token never leaves in one; "no-referrer" would make browsers send "Origin: null" on
/// the UI's own form posts), no MIME sniffing, and no caching of pages that show a tenant's data. The UI's pages
/// answer their own errors (a 404 page says which session), so the API's problem+json status pages stay off for them.
/// </summary>
internal static class UiSecurityHeaders
{
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static Task AddAsync(HttpContext http, Func<Task> next)
    {
        if (http.Request.Path.StartsWithSegments("/ui", StringComparison.Ordinal))
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = Policy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            if (http.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
            {
                statusPages.Enabled = false;
            }
            headers.CacheControl = http.Request.Path.StartsWithSegments("/ui/assets", StringComparison.Ordinal)
                ? "public, max-age=31536000, immutable"
                : "no-store";
        }
        return next();
    }
}
