using AgentSnapshots.Tests.Service;

namespace AgentSnapshots.Tests.Ui;

/// <summary>
/// The grain behind login links and UI cookies, in a real cluster with SQLite storage: a link answers once, an
/// expired grant never, a login session until it expires or is revoked; only the token's hash names it.
/// </summary>
public sealed class LoginTokenGrainTests(ServiceClusterFixture fixture) : IClassFixture<ServiceClusterFixture>
{
    private ILoginTokenGrain Grain(string kind, string token) => fixture.Grains.GetGrain<ILoginTokenGrain>(LoginTokens.KeyFor(kind, token));

    [Fact]
    public async Task A_link_is_redeemed_once()
    {
        var token = LoginTokens.New();
        await Grain("link", token).IssueAsync(new LoginGrant("team-a", DateTimeOffset.UtcNow.AddSeconds(60), SingleUse: true));
        var first = await Grain("link", token).RedeemAsync();
        Assert.Equal("team-a", first?.Tenant);
        Assert.Null(await Grain("link", token).RedeemAsync());
    }

    [Fact]
    public async Task An_expired_link_is_refused()
    {
        var token = LoginTokens.New();
        await Grain("link", token).IssueAsync(new LoginGrant("team-a", DateTimeOffset.UtcNow.AddSeconds(-1), SingleUse: true));
        Assert.Null(await Grain("link", token).RedeemAsync());
    }

    [Fact]
    public async Task A_login_session_holds_until_revoked_and_another_kind_or_token_is_another_grain()
    {
        var token = LoginTokens.New();
        await Grain("ui-session", token).IssueAsync(new LoginGrant(null, DateTimeOffset.UtcNow.AddHours(1), SingleUse: false));
        Assert.NotNull(await Grain("ui-session", token).RedeemAsync());
        Assert.NotNull(await Grain("ui-session", token).RedeemAsync());
        Assert.Null(await Grain("link", token).RedeemAsync());
        Assert.Null(await Grain("ui-session", LoginTokens.New()).RedeemAsync());
        await Grain("ui-session", token).RevokeAsync();
        Assert.Null(await Grain("ui-session", token).RedeemAsync());
    }

    [Fact]
    public void The_grain_key_is_the_tokens_hash_not_the_token()
    {
        var token = LoginTokens.New();
        var key = LoginTokens.KeyFor("link", token);
        Assert.DoesNotContain(token, key, StringComparison.Ordinal);
        Assert.Matches("^link:[0-9a-f]{64}$", key);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
    }
}
