namespace AgentSnapshots;

/// <summary>
/// One web UI login token (key: <see cref="LoginTokens.KeyFor"/>, the token's SHA-256, never the token): a one-time
/// login link or a login session behind the UI's cookie. It lives in a grain, stored with the grains' storage, so a
/// link made through one silo is redeemed on any other and the cookie works on every silo.
/// </summary>
public interface ILoginTokenGrain : IGrainWithStringKey
{
    /// <summary>Records the grant the token stands for (a token is issued once).</summary>
    Task IssueAsync(LoginGrant grant);

    /// <summary>
    /// The grant while it holds: a single-use grant is used up by this call (a second redeem gets null); an expired
    /// one is forgotten and null.
    /// </summary>
    Task<LoginGrant?> RedeemAsync();

    /// <summary>Forgets the token (logout).</summary>
    Task RevokeAsync();
}

/// <summary>
/// What a login token grants: the caller's tenant (null: the silo's local user, no tenants configured), until when,
/// and whether it can be redeemed once only (a login link) or until it expires (a login session).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LoginGrant(
    [property: Id(0)] string? Tenant,
    [property: Id(1)] DateTimeOffset Expires,
    [property: Id(2)] bool SingleUse);
