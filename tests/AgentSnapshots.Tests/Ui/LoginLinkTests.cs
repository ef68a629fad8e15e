using System.Net;
using System.Text.Json;
using AgentSnapshots.Tests.Http;

namespace AgentSnapshots.Tests.Ui;

/// <summary>
/// <c>POST /v1/login-links</c> and redeeming a link, over real HTTP against a real silo: a link logs in once with an
/// HttpOnly, SameSite=Strict cookie scoped to /ui; used, forged and tampered links are refused; <c>next</c> never
/// leads outside the UI; without a key or a cookie nothing is shown but how to log in; the cookie opens the UI only.
/// </summary>
[Collection(UiCollectionDefinition.Name)]
public sealed class LoginLinkTests(UiSiloFixture fixture)
{
    /// <summary>A browser-like client that follows nothing and keeps no cookies: each reply is seen as it is.</summary>
    private HttpClient Raw() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = fixture.Silo.HttpAddress };

    private async Task<string> LoginCookieAsync(string key)
    {
        using var http = Raw();
        using var redeemed = await http.GetAsync(new Uri(await fixture.LoginLinkAsync(key), UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        var cookie = redeemed.Headers.GetValues("Set-Cookie").Single();
        return cookie[..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    private static async Task<(HttpStatusCode Status, string? MediaType, string Body)> GetAsync(HttpClient http, string path, string? cookie = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        using var reply = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return (reply.StatusCode, reply.Content.Headers.ContentType?.MediaType, await reply.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_link_logs_in_once_with_an_http_only_strict_cookie_and_leads_to_next()
    {
        var url = await fixture.LoginLinkAsync(fixture.KeyA, "/ui/sessions/anything");
        Assert.Matches("^/ui/login\\?token=[A-Za-z0-9_-]{43}&next=%2Fui%2Fsessions%2Fanything$", url);
        using var http = Raw();
        using var first = await http.GetAsync(new Uri(url, UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal("/ui/sessions/anything", first.Headers.Location?.OriginalString);
        var cookie = first.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/ui", cookie, StringComparison.OrdinalIgnoreCase);
        // The cookie is a token of its own, never the key nor the link's token.
        var value = cookie[(cookie.IndexOf('=', StringComparison.Ordinal) + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
        Assert.DoesNotContain(value, url, StringComparison.Ordinal);
        Assert.NotEqual(fixture.KeyA, value);

        // Used: the second redeem is refused, with a page saying how to get a new link.
        var again = await GetAsync(http, url);
        Assert.Equal(HttpStatusCode.Unauthorized, again.Status);
        Assert.Equal("text/html", again.MediaType);
        Assert.Contains("This login link does not work", again.Body, StringComparison.Ordinal);
        Assert.Contains("agentsnapshots ui", again.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forged_and_malformed_tokens_are_refused()
    {
        using var http = Raw();
        foreach (var path in new[] { "/ui/login?token=" + new string('A', 43), "/ui/login", "/ui/login?token=", "/ui/login?token=" + new string('x', 5000) })
        {
            var reply = await GetAsync(http, path);
            Assert.True(reply.Status == HttpStatusCode.Unauthorized, $"{path[..Math.Min(60, path.Length)]}: {reply.Status}");
            Assert.Contains("This login link does not work", reply.Body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("https://attacker.example/")]
    [InlineData("//attacker.example/ui/")]
    [InlineData("/v1/sessions/demo/snapshots")]
    [InlineData("/ui/../v1/sessions")]
    [InlineData("/ui/%2e%2e/v1/sessions")]
    [InlineData("/ui/\\attacker.example")]
    [InlineData("/uix")]
    [InlineData("ui/")]
    public async Task Next_outside_the_ui_is_refused_when_asked_for_and_when_redeemed(string next)
    {
        using var api = fixture.ApiFor(fixture.KeyA);
        var asked = await api.PostAsync("/v1/login-links", JsonSerializer.Serialize(new { next }));
        Assert.Contains("is not a path of the web UI", asked.Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);

        // A good link with a bad next appended: refused before it is used, so no redirect anywhere...
        var url = await fixture.LoginLinkAsync(fixture.KeyA);
        using var http = Raw();
        var tampered = await GetAsync(http, url + "&next=" + Uri.EscapeDataString(next));
        Assert.Equal(HttpStatusCode.BadRequest, tampered.Status);
        Assert.Contains("leads outside the web UI", tampered.Body, StringComparison.Ordinal);
        // ...and the link still works as made.
        using var redeemed = await http.GetAsync(new Uri(url, UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        Assert.Equal("/ui/", redeemed.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Login_links_take_a_valid_key_and_only_their_fields()
    {
        using var none = new ApiClient(fixture.Silo.HttpAddress);
        (await none.PostAsync("/v1/login-links")).Problem(HttpStatusCode.Unauthorized, "missingKey");
        using var wrong = fixture.ApiFor(TenantSiloFixture.NewKey());
        (await wrong.PostAsync("/v1/login-links")).Problem(HttpStatusCode.Unauthorized, "invalidKey");
        using var api = fixture.ApiFor(fixture.KeyB);
        Assert.Contains("'nxt'", (await api.PostAsync("/v1/login-links", "{\"nxt\": \"/ui/\"}")).Problem(HttpStatusCode.BadRequest, "invalidField"), StringComparison.Ordinal);
        (await api.PostAsync("/v1/login-links", "[1]")).Problem(HttpStatusCode.BadRequest, "malformedBody");
        (await api.PostAsync("/v1/login-links?x=1")).Problem(HttpStatusCode.BadRequest, "unknownParameter");
        var ok = (await api.PostAsync("/v1/login-links")).Ok();
        Assert.True(ok.GetProperty("expires").GetDateTimeOffset() - DateTimeOffset.UtcNow <= TimeSpan.FromSeconds(61));
    }

    [Fact]
    public async Task Without_a_valid_cookie_the_ui_shows_only_how_to_log_in()
    {
        using var http = Raw();
        foreach (var cookie in new string?[] { null, "agentsnapshots_ui=" + new string('A', 43), "agentsnapshots_ui=" + fixture.KeyA })
        {
            foreach (var path in new[] { "/ui/", "/ui/sessions/demo", "/ui/sessions/demo/rows", "/ui/sessions/demo/events" })
            {
                var reply = await GetAsync(http, path, cookie);
                Assert.True(reply.Status == HttpStatusCode.Unauthorized, $"{path} with {cookie ?? "no cookie"}: {reply.Status}");
                Assert.Equal("text/html", reply.MediaType);
                Assert.Contains("agentsnapshots ui", reply.Body, StringComparison.Ordinal);
            }
        }
        var page = await GetAsync(http, "/ui/login-needed");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("Login needed", page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cookie_opens_the_ui_and_not_the_api_and_logging_out_ends_it()
    {
        var cookie = await LoginCookieAsync(fixture.KeyA);
        using var http = Raw();
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, "/ui/", cookie)).Status);
        // The API takes keys only: a cookie would let any page of this origin drive it.
        var api = await GetAsync(http, "/v1/sessions/demo/snapshots", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, api.Status);
        Assert.Equal("application/problem+json", api.MediaType);

        // A write without the page's Origin is refused; with another site's Origin too (the front door's check).
        using (var noOrigin = new HttpRequestMessage(HttpMethod.Post, "/ui/logout"))
        {
            noOrigin.Headers.Add("Cookie", cookie);
            using var reply = await http.SendAsync(noOrigin, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Forbidden, reply.StatusCode);
        }
        using (var foreign = new HttpRequestMessage(HttpMethod.Post, "/ui/logout"))
        {
            foreign.Headers.Add("Cookie", cookie);
            foreign.Headers.Add("Origin", "http://attacker.example");
            using var reply = await http.SendAsync(foreign, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Forbidden, reply.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, "/ui/", cookie)).Status);

        using (var logout = new HttpRequestMessage(HttpMethod.Post, "/ui/logout"))
        {
            logout.Headers.Add("Cookie", cookie);
            logout.Headers.Add("Origin", fixture.Silo.HttpAddress.GetLeftPart(UriPartial.Authority));
            using var reply = await http.SendAsync(logout, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Redirect, reply.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(http, "/ui/", cookie)).Status);
    }
}
