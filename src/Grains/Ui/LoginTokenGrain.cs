namespace AgentSnapshots;

/// <summary>
/// Keeps one login token's grant in the grains' storage (so it survives the silo that issued it) and answers it
/// while it holds: once for a link, until it expires for a session.
/// </summary>
internal sealed class LoginTokenGrain(
    [PersistentState("login", SnapshotsStorage.Name)] IPersistentState<LoginTokenState> state) : Grain, ILoginTokenGrain
{
    public async Task IssueAsync(LoginGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (state.State.Expires is not null)
        {
            // 256 random bits do not collide: a second issue is a bug, never a reason to replace a grant.
            throw new InvalidOperationException("A login token was issued twice.");
        }
        state.State = new LoginTokenState { Tenant = grant.Tenant, Expires = grant.Expires, SingleUse = grant.SingleUse };
        await state.WriteStateAsync();
    }

    public async Task<LoginGrant?> RedeemAsync()
    {
        if (state.State.Expires is not { } expires)
        {
            return null;
        }
        var grant = new LoginGrant(state.State.Tenant, expires, state.State.SingleUse);
        if (expires <= DateTimeOffset.UtcNow)
        {
            await Forget();
            return null;
        }
        if (grant.SingleUse)
        {
            // Used up before it is answered: a failed write answers nothing, so a link never logs in twice.
            await Forget();
        }
        return grant;
    }

    public Task RevokeAsync() => state.State.Expires is null ? Task.CompletedTask : Forget();

    private async Task Forget()
    {
        state.State = new LoginTokenState();
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}
